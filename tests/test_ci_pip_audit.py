"""The decision logic of .ci/pip_audit.py, on faked pip-audit outputs."""

from __future__ import annotations

import pytest

from tests.scripts import load_script

pip_audit = load_script(".ci/pip_audit.py", "ci_pip_audit")

OSV_DOWN = ("Traceback (most recent call last):\n  ...\nrequests.exceptions.ConnectionError: "
            "HTTPSConnectionPool(host='api.osv.dev', port=443): Max retries exceeded")


def dep(name, version="1.0", vulns=()):
    return {"name": name, "version": version, "vulns": list(vulns)}


def skipped(name):
    return {"name": name, "skip_reason": f"Dependency not found on PyPI and could not be "
                                          f"audited: {name} (1.0)"}


def vuln(vuln_id, *aliases, fixes=("2.0",)):
    return {"id": vuln_id, "aliases": list(aliases), "fix_versions": list(fixes),
            "description": "bad"}


def run(deps, returncode=0):
    return pip_audit.Run(returncode, {"dependencies": deps, "fixes": []}, "")


def test_every_package_skipped_is_unreachable_not_clean():
    outcome = pip_audit.classify("pypi", run([skipped("flask"), skipped("jinja2")]), {})
    assert outcome.kind == "unreachable"
    assert outcome.exit_code == 0
    assert "AUDITED NOTHING" in "\n".join(pip_audit.report_lines(outcome))


def test_empty_report_is_unreachable():
    assert pip_audit.classify("pypi", run([]), {}).kind == "unreachable"


def test_connection_error_without_report_is_unreachable():
    outcome = pip_audit.classify("osv", pip_audit.Run(1, None, OSV_DOWN), {})
    assert outcome.kind == "unreachable"
    assert "Max retries exceeded" in outcome.detail


def test_other_failure_without_report_is_an_error():
    outcome = pip_audit.classify("pypi", pip_audit.Run(2, None, "usage: pip-audit ...\n"
                                                       "error: unrecognized arguments"), {})
    assert outcome.kind == "error"
    assert outcome.exit_code == 2


def test_audited_packages_without_vulnerabilities_are_clean_and_counted():
    outcome = pip_audit.classify("pypi", run([dep("flask"), dep("jinja2"), skipped("x")]), {})
    assert (outcome.kind, outcome.audited, outcome.skipped) == ("clean", 2, ["x"])
    lines = pip_audit.report_lines(outcome)
    assert lines[0] == "pip-audit (pypi): audited 2 packages, 0 known vulnerabilities"
    assert "not audited (1): x" in lines[1]


def test_a_vulnerability_fails_with_its_fix():
    outcome = pip_audit.classify(
        "pypi", run([dep("werkzeug", "2.0", [vuln("PYSEC-1", "CVE-9")])], returncode=1), {})
    assert outcome.kind == "vulnerable"
    assert outcome.exit_code == 1
    assert outcome.found == ["werkzeug 2.0 PYSEC-1 (fixed in: 2.0)"]


@pytest.mark.parametrize("listed", ["PYSEC-1", "CVE-9"])
def test_reviewed_ignore_by_id_or_alias_passes(listed):
    outcome = pip_audit.classify(
        "pypi", run([dep("werkzeug", "2.0", [vuln("PYSEC-1", "CVE-9")])], returncode=1),
        {listed: "debugger only, never enabled"})
    assert outcome.kind == "clean"
    assert outcome.ignored == ["werkzeug 2.0 PYSEC-1 (debugger only, never enabled)"]


def test_ignoring_one_vulnerability_keeps_the_others():
    outcome = pip_audit.classify(
        "pypi", run([dep("a", vulns=[vuln("V-1"), vuln("V-2", fixes=())])], returncode=1),
        {"V-1": "reviewed"})
    assert outcome.found == ["a 1.0 V-2 (fixed in: no fixed release)"]


def test_ignore_list_needs_a_reason_per_entry():
    text = "# header\n\nPYSEC-1  # not reachable from our code\nGHSA-x#y # ok\n"
    assert pip_audit.parse_ignore_list(text) == {"PYSEC-1": "not reachable from our code",
                                                 "GHSA-x": "y # ok"}
    with pytest.raises(ValueError, match="line 1"):
        pip_audit.parse_ignore_list("PYSEC-2\n")


def test_the_shipped_ignore_list_parses():
    assert isinstance(pip_audit.parse_ignore_list(
        pip_audit.DEFAULT_IGNORE_FILE.read_text(encoding="utf-8")), dict)


def test_audit_falls_back_to_the_next_service_and_stops_at_the_first_answer():
    answers = {"pypi": run([skipped("flask")]), "osv": run([dep("flask")])}
    asked: list[str] = []

    def runner(service):
        asked.append(service)
        return answers[service]

    outcome = pip_audit.audit(("pypi", "osv", "never"), {}, runner)
    assert (outcome.kind, outcome.service, asked) == ("clean", "osv", ["pypi", "osv"])


def test_audit_with_no_service_answering_is_unreachable_and_names_each():
    outcome = pip_audit.audit(
        ("pypi", "osv"), {},
        lambda s: run([skipped("a")]) if s == "pypi" else pip_audit.Run(1, None, OSV_DOWN))
    assert outcome.kind == "unreachable"
    assert "pypi: all 1 packages skipped" in outcome.detail and "osv:" in outcome.detail


def test_main_exit_codes(monkeypatch, tmp_path, capsys):
    ignore = tmp_path / "ignore.txt"
    ignore.write_text("V-1  # reviewed\n", encoding="utf-8")
    monkeypatch.setattr(pip_audit, "run_pip_audit",
                        lambda service: run([dep("a", vulns=[vuln("V-1")])], returncode=1))
    assert pip_audit.main(["--ignore-file", str(ignore)]) == 0
    ignore.write_text("V-1\n", encoding="utf-8")
    assert pip_audit.main(["--ignore-file", str(ignore)]) == 2
    assert "expected 'VULN-ID  # reason'" in capsys.readouterr().err
