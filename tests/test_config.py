"""bot.config: lookup order, env overrides, one-line errors, the token kept secret, the example file."""

import re
import tomllib
from pathlib import Path

import pytest
from pydantic import BaseModel

from bot.config import (
    MISSING_TOKEN_MESSAGE,
    ConfigError,
    Settings,
    find_config_path,
    load_settings,
)

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.toml"
TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
OTHER_TOKEN = "987654321:BBHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def config_error(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> str:
    """Load `text` as ./config.toml and return the ConfigError message it must produce."""
    write(tmp_path / "config.toml", text)
    with pytest.raises(ConfigError) as info:
        load_settings(env=env or {}, cwd=tmp_path)
    return str(info.value)


# --- finding the file -------------------------------------------------------------------------


def test_no_file_anywhere_means_defaults(tmp_path: Path) -> None:
    assert find_config_path(None, {}, tmp_path) is None
    settings = load_settings(env={}, cwd=tmp_path)
    assert settings.source is None
    assert settings.model_dump() == Settings().model_dump()
    assert settings.interview.questions_per_session == 5
    assert settings.database.url == "sqlite+aiosqlite:///data/interview-bot.db"
    assert settings.telegram.token is None
    assert settings.logging.level == "INFO"
    assert settings.logging.include_user_content is False


@pytest.fixture
def three_configs(tmp_path: Path) -> dict[str, Path]:
    """One candidate per lookup source, each with its own questions_per_session."""
    return {
        "cli": write(tmp_path / "cli" / "bot.toml", "[interview]\nquestions_per_session = 1\n"),
        "env": write(tmp_path / "env" / "bot.toml", "[interview]\nquestions_per_session = 2\n"),
        "cwd": write(tmp_path / "config.toml", "[interview]\nquestions_per_session = 3\n"),
    }


def test_cli_path_beats_env_var_and_cwd_file(tmp_path: Path, three_configs: dict[str, Path]) -> None:
    env = {"INTERVIEW_BOT_CONFIG": str(three_configs["env"])}
    settings = load_settings(three_configs["cli"], env=env, cwd=tmp_path)
    assert settings.source == three_configs["cli"]
    assert settings.interview.questions_per_session == 1


def test_env_var_beats_cwd_file(tmp_path: Path, three_configs: dict[str, Path]) -> None:
    env = {"INTERVIEW_BOT_CONFIG": str(three_configs["env"])}
    settings = load_settings(None, env=env, cwd=tmp_path)
    assert settings.source == three_configs["env"]
    assert settings.interview.questions_per_session == 2


def test_cwd_config_toml_is_used_when_nothing_is_given(
    tmp_path: Path, three_configs: dict[str, Path]
) -> None:
    settings = load_settings(None, env={}, cwd=tmp_path)
    assert settings.source == three_configs["cwd"]
    assert settings.interview.questions_per_session == 3


def test_empty_env_var_falls_through_to_cwd_file(tmp_path: Path, three_configs: dict[str, Path]) -> None:
    assert find_config_path(None, {"INTERVIEW_BOT_CONFIG": ""}, tmp_path) == three_configs["cwd"]


def test_relative_explicit_paths_are_relative_to_cwd(tmp_path: Path, three_configs: dict[str, Path]) -> None:
    assert find_config_path(Path("cli/bot.toml"), {}, tmp_path) == three_configs["cli"]
    assert find_config_path(None, {"INTERVIEW_BOT_CONFIG": "env/bot.toml"}, tmp_path) == three_configs["env"]


def test_missing_cli_file_is_an_error_even_if_cwd_has_one(tmp_path: Path) -> None:
    write(tmp_path / "config.toml", "")
    with pytest.raises(ConfigError) as info:
        load_settings(Path("missing.toml"), env={}, cwd=tmp_path)
    assert str(info.value) == "missing.toml: file not found"


def test_missing_env_var_file_is_an_error_that_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        find_config_path(None, {"INTERVIEW_BOT_CONFIG": "nope.toml"}, tmp_path)
    assert str(info.value) == "nope.toml: file not found (set by INTERVIEW_BOT_CONFIG)"


def test_unreadable_path_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "config.toml").mkdir()
    with pytest.raises(ConfigError) as info:
        load_settings(env={}, cwd=tmp_path)
    assert str(info.value).startswith("config.toml: cannot read: ")
    assert "\n" not in str(info.value)


# --- environment overrides --------------------------------------------------------------------


def test_env_overrides_token_and_database_url_from_the_file(tmp_path: Path) -> None:
    write(
        tmp_path / "config.toml",
        f'[telegram]\ntoken = "{TOKEN}"\n[database]\nurl = "sqlite+aiosqlite:///file.db"\n',
    )
    env = {"TELEGRAM_BOT_TOKEN": OTHER_TOKEN, "DATABASE_URL": "sqlite+aiosqlite:///env.db"}
    settings = load_settings(env=env, cwd=tmp_path)
    assert settings.require_token() == OTHER_TOKEN
    assert settings.database.url == "sqlite+aiosqlite:///env.db"


def test_env_overrides_apply_without_a_file(tmp_path: Path) -> None:
    settings = load_settings(env={"TELEGRAM_BOT_TOKEN": TOKEN}, cwd=tmp_path)
    assert settings.source is None
    assert settings.require_token() == TOKEN


def test_empty_env_vars_do_not_blank_the_file_values(tmp_path: Path) -> None:
    write(tmp_path / "config.toml", f'[telegram]\ntoken = "{TOKEN}"\n[database]\nurl = "sqlite:///f.db"\n')
    settings = load_settings(env={"TELEGRAM_BOT_TOKEN": "", "DATABASE_URL": ""}, cwd=tmp_path)
    assert settings.require_token() == TOKEN
    assert settings.database.url == "sqlite:///f.db"


def test_bad_token_from_env_blames_the_variable_not_the_file(tmp_path: Path) -> None:
    message = config_error(tmp_path, "", env={"TELEGRAM_BOT_TOKEN": "not-a-token"})
    assert message.startswith("TELEGRAM_BOT_TOKEN (environment): [telegram] token: does not look like")
    assert "not-a-token" not in message


# --- one-line errors --------------------------------------------------------------------------


def test_unknown_key(tmp_path: Path) -> None:
    message = config_error(tmp_path, f'[telegram]\ntokn = "{TOKEN}"\n')
    assert message == "config.toml: [telegram] tokn: unknown key"


def test_unknown_section(tmp_path: Path) -> None:
    message = config_error(tmp_path, "[interviews]\nquestions_per_session = 3\n")
    assert message == "config.toml: [interviews]: unknown section"


def test_top_level_key_outside_any_section(tmp_path: Path) -> None:
    message = config_error(tmp_path, "questions_per_session = 3\n")
    assert message.startswith("config.toml: questions_per_session: unknown key at the top level")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[interview]\nquestions_per_session = "five"\n',
            'config.toml: [interview] questions_per_session: expected an integer, got "five"',
        ),
        (
            '[interview]\nquestions_per_session = "5"\n',
            'config.toml: [interview] questions_per_session: expected an integer, got "5"',
        ),
        (
            "[interview]\nquestions_per_session = 5.0\n",
            "config.toml: [interview] questions_per_session: expected an integer, got 5.0",
        ),
        (
            "[interview]\nquestions_per_session = true\n",
            "config.toml: [interview] questions_per_session: expected an integer, got true",
        ),
        (
            '[logging]\nlevel = "info"\n',
            'config.toml: [logging] level: expected one of "DEBUG", "INFO", "WARNING" or "ERROR", got "info"',
        ),
        (
            '[logging]\ninclude_user_content = "yes"\n',
            'config.toml: [logging] include_user_content: expected true or false, got "yes"',
        ),
        (
            '[questions]\npaths = "packs"\n',
            'config.toml: [questions] paths: expected a list, got "packs"',
        ),
        (
            '[questions]\npaths = ["packs", 7]\n',
            "config.toml: [questions] paths[1]: expected a path string, got 7",
        ),
        (
            "[telegram]\nbase_url = 443\n",
            "config.toml: [telegram] base_url: expected a string, got 443",
        ),
        (
            '[telegram]\nbase_url = ""\n',
            "config.toml: [telegram] base_url: must not be empty",
        ),
        (
            'interview = "five"\n',
            'config.toml: [interview]: expected a table, got "five"',
        ),
    ],
)
def test_wrong_type(tmp_path: Path, text: str, expected: str) -> None:
    assert config_error(tmp_path, text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "must be at least 1, got 0"),
        (21, "must be at most 20, got 21"),
        (-3, "must be at least 1, got -3"),
    ],
)
def test_out_of_range(tmp_path: Path, value: int, expected: str) -> None:
    message = config_error(tmp_path, f"[interview]\nquestions_per_session = {value}\n")
    assert message == f"config.toml: [interview] questions_per_session: {expected}"


@pytest.mark.parametrize("value", [1, 20])
def test_range_bounds_are_inclusive(tmp_path: Path, value: int) -> None:
    write(tmp_path / "config.toml", f"[interview]\nquestions_per_session = {value}\n")
    assert load_settings(env={}, cwd=tmp_path).interview.questions_per_session == value


def test_malformed_toml_names_the_line(tmp_path: Path) -> None:
    message = config_error(tmp_path, "[interview]\n\nquestions_per_session = \n")
    assert message == "config.toml: line 3: invalid TOML: invalid value (column 25)"


def test_unterminated_toml_names_the_last_line(tmp_path: Path) -> None:
    message = config_error(tmp_path, '[database]\nurl = "sqlite:///x.db\n')
    assert message.startswith("config.toml: line 2: invalid TOML: ")


def test_first_error_wins_and_stays_on_one_line(tmp_path: Path) -> None:
    message = config_error(tmp_path, '[interview]\nquestions_per_session = 0\n[logging]\nlevel = "LOUD"\n')
    assert message == "config.toml: [interview] questions_per_session: must be at least 1, got 0"


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_bytes(b"\xef\xbb\xbf[interview]\nquestions_per_session = 7\n")
    assert load_settings(env={}, cwd=tmp_path).interview.questions_per_session == 7


def test_file_outside_cwd_is_named_by_its_full_path(tmp_path: Path) -> None:
    path = write(tmp_path / "etc" / "bot.toml", "[interview]\nquestions_per_session = 99\n")
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={}, cwd=cwd)
    assert str(info.value).startswith(f"{path}: [interview] questions_per_session: must be at most 20")


# --- the token --------------------------------------------------------------------------------


def test_missing_token_has_instructions(tmp_path: Path) -> None:
    settings = load_settings(env={}, cwd=tmp_path)
    with pytest.raises(ConfigError) as info:
        settings.require_token()
    assert str(info.value) == MISSING_TOKEN_MESSAGE
    assert str(info.value) == (
        "[telegram] token: missing. Create a bot with @BotFather in Telegram (send /newbot), "
        'then put the token in config.toml under [telegram] token = "..." or set TELEGRAM_BOT_TOKEN.'
    )


@pytest.mark.parametrize("value", ["", "   "])
def test_empty_token_counts_as_missing(tmp_path: Path, value: str) -> None:
    write(tmp_path / "config.toml", f'[telegram]\ntoken = "{value}"\n')
    settings = load_settings(env={}, cwd=tmp_path)
    assert settings.telegram.token is None
    with pytest.raises(ConfigError, match=r"^\[telegram\] token: missing\."):
        settings.require_token()


def test_token_surrounding_whitespace_is_dropped(tmp_path: Path) -> None:
    settings = load_settings(env={"TELEGRAM_BOT_TOKEN": f" {TOKEN}\n"}, cwd=tmp_path)
    assert settings.require_token() == TOKEN


def test_token_never_appears_in_str_or_repr(tmp_path: Path) -> None:
    write(tmp_path / "config.toml", f'[telegram]\ntoken = "{TOKEN}"\n')
    settings = load_settings(env={}, cwd=tmp_path)
    assert settings.require_token() == TOKEN
    shown = [
        str(settings),
        repr(settings),
        str(settings.telegram),
        repr(settings.telegram),
        str(settings.telegram.token),
        settings.model_dump_json(),
        str(settings.model_dump()),
    ]
    for text in shown:
        assert TOKEN not in text
        assert TOKEN.split(":")[1] not in text


SECRET_HALF = "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDs"


@pytest.mark.parametrize(
    "text",
    [
        # malformed token: too short after the colon
        f'[telegram]\ntoken = "123:{SECRET_HALF[:10]}"\n',
        # missing digits before the colon
        f'[telegram]\ntoken = ":{SECRET_HALF}"\n',
        # the token where a table belongs
        f'telegram = "123456:{SECRET_HALF}"\n',
        # a token typed without quotes: invalid TOML on that line
        f"[telegram]\ntoken = 123456:{SECRET_HALF}\n",
        # a valid token next to an unrelated error
        f'[telegram]\ntoken = "123456:{SECRET_HALF}"\nbase_url = 1\n',
        # a valid token under a misspelled key
        f'[telegram]\ntokn = "123456:{SECRET_HALF}"\n',
    ],
)
def test_token_never_appears_in_config_errors(tmp_path: Path, text: str) -> None:
    message = config_error(tmp_path, text)
    assert message.startswith("config.toml: ")
    assert SECRET_HALF[:10] not in message
    assert "\n" not in message


def test_malformed_token_error_explains_the_expected_shape(tmp_path: Path) -> None:
    message = config_error(tmp_path, f'[telegram]\ntoken = "123:{SECRET_HALF[:10]}"\n')
    assert message.startswith("config.toml: [telegram] token: does not look like a bot token")
    assert "@BotFather" in message


def test_token_is_not_chained_into_tracebacks(tmp_path: Path) -> None:
    write(tmp_path / "config.toml", f'[telegram]\ntoken = "1:{SECRET_HALF[:10]}"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(env={}, cwd=tmp_path)
    # A chained pydantic ValidationError would print the raw input under the traceback.
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


# --- question paths ---------------------------------------------------------------------------


def test_relative_question_paths_resolve_against_the_config_dir(tmp_path: Path) -> None:
    config = write(
        tmp_path / "etc" / "bot" / "config.toml",
        f'[questions]\npaths = ["packs", "../shared/extra.toml", "{tmp_path / "abs.toml"}"]\n',
    )
    cwd = tmp_path / "run"
    cwd.mkdir()
    settings = load_settings(config, env={}, cwd=cwd)
    assert settings.questions.paths == [
        config.parent / "packs",
        config.parent / "../shared/extra.toml",
        tmp_path / "abs.toml",
    ]


def test_question_paths_are_relative_to_the_env_var_config_too(tmp_path: Path) -> None:
    config = write(tmp_path / "conf" / "bot.toml", '[questions]\npaths = ["packs"]\n')
    settings = load_settings(None, env={"INTERVIEW_BOT_CONFIG": "conf/bot.toml"}, cwd=tmp_path)
    assert settings.questions.paths == [config.parent / "packs"]


# --- the example file -------------------------------------------------------------------------


def section_text(text: str, section: str) -> str:
    """The lines between `[section]` and the next table header."""
    match = re.search(rf"^\[{section}\]\n(.*?)(?=^\[|\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"config.example.toml has no [{section}] section"
    return match.group(1)


def test_example_config_loads_to_the_defaults(tmp_path: Path) -> None:
    settings = load_settings(EXAMPLE, env={}, cwd=tmp_path)
    assert settings.source == EXAMPLE
    assert settings.model_dump() == Settings().model_dump()


def test_example_config_documents_every_field() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    parsed = tomllib.loads(text)
    assert set(parsed) <= set(Settings.model_fields)
    for section, field in Settings.model_fields.items():
        model = field.annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        body = section_text(text, section)
        for key in model.model_fields:
            # Active (`key = ...`) or a commented example (`# key = ...`), with a comment above it.
            line = re.search(rf"^(#\s*)?{key}\s*=.*$", body, re.MULTILINE)
            assert line, f"[{section}] {key} is not in config.example.toml"
            above = body[: line.start()].rstrip("\n").splitlines()
            assert above and above[-1].startswith("#"), f"[{section}] {key} has no comment above it"
            if line.group(1) is None:
                assert key in parsed[section]


def test_example_config_token_is_only_a_commented_example() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert "token" not in tomllib.loads(text)["telegram"]
    assert re.search(r'^# token = "\d+:AA\.\.\."$', text, re.MULTILINE)


def test_logging_include_user_content_is_read_from_the_file(tmp_path: Path) -> None:
    config = write(tmp_path / "config.toml", '[logging]\nlevel = "DEBUG"\ninclude_user_content = true\n')
    settings = load_settings(config, {}, tmp_path)
    assert settings.logging.include_user_content is True


# --- [speech] and [llm] ----------------------------------------------------------------------------


def test_speech_and_llm_are_off_by_default(tmp_path: Path) -> None:
    settings = load_settings(env={}, cwd=tmp_path)
    assert not settings.speech.configured and not settings.llm.configured
    assert (settings.speech.max_seconds, settings.speech.timeout_seconds) == (300, 60)
    assert (settings.llm.timeout_seconds, settings.llm.max_reviews_per_day) == (30, 20)
    assert settings.llm.enabled_for == "all" and settings.llm.allow_user_ids == []


def test_speech_and_llm_sections_are_read(tmp_path: Path) -> None:
    write(
        tmp_path / "config.toml",
        '[speech]\nbase_url = "http://127.0.0.1:8080/v1/"\nmodel = "base.en"\napi_key_env = "WHISPER_KEY"\n'
        "max_seconds = 120\ntimeout_seconds = 90\n\n"
        '[llm]\nbase_url = "https://api.example.com/v1"\nmodel = "llama3.1:8b"\n'
        'enabled_for = "allowlist"\nallow_user_ids = [42, 7]\nmax_reviews_per_day = 3\n',
    )
    settings = load_settings(env={}, cwd=tmp_path)
    # The trailing slash goes: paths are appended to the base URL.
    assert settings.speech.base_url == "http://127.0.0.1:8080/v1" and settings.speech.configured
    assert (settings.speech.model, settings.speech.api_key_env) == ("base.en", "WHISPER_KEY")
    assert (settings.speech.max_seconds, settings.speech.timeout_seconds) == (120, 90)
    assert settings.llm.base_url == "https://api.example.com/v1" and settings.llm.model == "llama3.1:8b"
    assert settings.llm.allow_user_ids == [42, 7] and settings.llm.max_reviews_per_day == 3


URL_PROBLEM = (
    "expected an http:// or https:// URL such as http://127.0.0.1:8080/v1 "
    "(the part before /audio/transcriptions or /chat/completions)"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[speech]\nbase_url = "localhost:8080"\n', f"[speech] base_url: {URL_PROBLEM}"),
        ('[speech]\nbase_url = "ftp://host/v1"\n', f"[speech] base_url: {URL_PROBLEM}"),
        ('[llm]\nbase_url = "http://host/v1?key=1"\n', f"[llm] base_url: {URL_PROBLEM}"),
        ('[llm]\nbase_url = "http://my host/v1"\n', f"[llm] base_url: {URL_PROBLEM}"),
        ("[llm]\nbase_url = 8080\n", "[llm] base_url: expected a string, got 8080"),
        ('[speech]\nurl = "http://x"\n', "[speech] url: unknown key"),
        ("[llm]\ntemperature = 0.2\n", "[llm] temperature: unknown key"),
        ("[speech]\nmax_seconds = 0\n", "[speech] max_seconds: must be at least 1, got 0"),
        ("[llm]\ntimeout_seconds = 601\n", "[llm] timeout_seconds: must be at most 600, got 601"),
        (
            '[llm]\nenabled_for = "some"\n',
            '[llm] enabled_for: expected one of "all" or "allowlist", got "some"',
        ),
        ('[llm]\nallow_user_ids = ["42"]\n', '[llm] allow_user_ids[0]: expected an integer, got "42"'),
        ('[llm]\nmodel = ""\n', "[llm] model: must not be empty"),
    ],
)
def test_speech_and_llm_problems_are_one_line(tmp_path: Path, text: str, expected: str) -> None:
    assert config_error(tmp_path, text) == f"config.toml: {expected}"


def test_a_key_pasted_where_its_variable_name_belongs_is_not_echoed(tmp_path: Path) -> None:
    key = "sk-proj-abcDEF0123456789"
    message = config_error(tmp_path, f'[llm]\napi_key_env = "{key}"\n')
    assert message == (
        "config.toml: [llm] api_key_env: expected the name of an environment variable "
        "(letters, digits, _), not the key itself"
    )
    assert key not in message
