"""A ``.env`` file in the working directory configures the app; real variables win."""

from matchmaker.config import build


def test_dotenv_in_working_directory_is_read(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text(
        "MATCHMAKER_SECRET_KEY=from-dotenv\nMATCHMAKER_PAGE_SIZE=7\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    # set then delete, so monkeypatch restores "absent" after load_dotenv has set it
    monkeypatch.setenv("MATCHMAKER_SECRET_KEY", "placeholder")
    monkeypatch.delenv("MATCHMAKER_SECRET_KEY")
    monkeypatch.setenv("MATCHMAKER_PAGE_SIZE", "9")
    settings = build()
    assert settings["SECRET_KEY"] == "from-dotenv"
    assert settings["PAGE_SIZE"] == 9


def test_dotenv_value_does_not_leak_between_tests():
    import os

    assert os.environ.get("MATCHMAKER_SECRET_KEY") != "from-dotenv"
