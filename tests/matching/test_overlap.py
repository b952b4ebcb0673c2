"""Cross-city overlap clusters and look-alike programmes."""

from __future__ import annotations

from matchmaker.matching import NeedDoc, find_overlaps, need_similarity


def need(i: str, city: str, title: str, desc: str, tags: tuple[str, ...] = ()) -> NeedDoc:
    return NeedDoc(id=i, title=title, description=desc, tags=tags, city=city)


NEEDS = [
    need("a", "Kota Kupang", "Jalan gelap malam hari", "Lampu jalan banyak mati.", ("PJU",)),
    need(
        "b",
        "Kota Samarinda",
        "Smart street lighting",
        "Replace old street lights with LED.",
        ("street lighting",),
    ),
    need(
        "c",
        "Kota Pekanbaru",
        "Lampu merah tdk sinkron",
        "Antrean panjang di simpang.",
        ("APILL", "simpang"),
    ),
    need(
        "d",
        "Kota Manado",
        "Peringatan dini banjir",
        "Sensor AWLR dan sirine banjir di sungai.",
        ("banjir", "EWS"),
    ),
    need(
        "e", "Kota Palu", "Tsunami sirens", "Tsunami warning sirens along the coast.", ("tsunami",)
    ),
    need(
        "f",
        "Kota Jayapura",
        "Flood early warning",
        "River level sensors and flood sirens.",
        ("flood",),
    ),
    need("g", "Kota Kupang", "Penerangan jalan umum", "PJU tenaga surya.", ("PJU",)),
]


def test_clusters_group_the_same_programme_across_languages() -> None:
    clusters = find_overlaps(NEEDS)
    groups = [set(c.need_ids) for c in clusters]
    assert any({"a", "b"} <= g for g in groups)
    assert any({"d", "f"} <= g for g in groups)
    lighting = next(c for c in clusters if "b" in c.need_ids)
    assert "street-lighting" in {s.concept_id for s in lighting.shared_concepts}
    assert lighting.pair_scores and 0 < lighting.score <= 100
    for c in clusters:
        assert all(a < b for a, b in c.pair_scores)


def test_look_alikes_stay_apart() -> None:
    clusters = find_overlaps(NEEDS)
    for c in clusters:
        ids = set(c.need_ids)
        assert not ({"a", "c"} <= ids)  # street lights vs traffic lights
        assert not ({"e", "f"} <= ids) and not ({"d", "e"} <= ids)  # tsunami vs flood


def test_same_city_never_links() -> None:
    sims = need_similarity(NEEDS)
    assert ("a", "g") not in sims
    assert sims[("a", "b")] > sims[("a", "c")]
    assert sims[("d", "f")] > sims[("e", "f")]
