"""/deeper in the terminal chat: the same review as Telegram's button, through the real CLI
and a fake OpenAI-compatible server."""

import asyncio
import os
import sys
from pathlib import Path

from tests.fake_openai import VALID_REVIEW, FakeOpenAI
from tests.test_chat import CONTROLLED_ENV


async def chat(tmp_path: Path, config: str, lines: list[str]) -> str:
    (tmp_path / "config.toml").write_text(
        # A first /interview starts at once: the level question is the subject of other tests.
        f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path / "chat.db"}"\n\n'
        f"[interview]\nask_level = false\n\n{config}",
        encoding="utf-8",
    )
    env = {key: value for key, value in os.environ.items() if key not in CONTROLLED_ENV}
    env["PYTHONIOENCODING"] = "utf-8"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "chat",
        "--user",
        "ann",
        cwd=tmp_path,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdin = "".join(f"{line}\n" for line in lines).encode()
    out, err = await asyncio.wait_for(process.communicate(stdin), 60)
    assert process.returncode == 0, err.decode()
    return out.decode("utf-8")


ANSWER = "I would agree the business case with the sponsor, then run a pilot with one team."


async def test_deeper_reviews_the_last_answer(tmp_path: Path) -> None:
    async with FakeOpenAI() as server:
        out = await chat(
            tmp_path,
            f'[llm]\nbase_url = "{server.base_url}"\n',
            ["/settings", "1", "/interview", ANSWER, "", "/deeper"],
        )
        [call] = server.calls_to("chat/completions")
    assert "Deeper review —" in out
    assert VALID_REVIEW["top_improvement"] in out and VALID_REVIEW["rewrite"] in out
    assert ANSWER in call.body["messages"][-1]["content"]


async def test_deeper_without_a_model_or_an_answer_says_why(tmp_path: Path) -> None:
    out = await chat(tmp_path, "", ["/deeper"])
    assert "Deeper reviews aren't available here" in out
    async with FakeOpenAI() as server:
        out = await chat(tmp_path, f'[llm]\nbase_url = "{server.base_url}"\n', ["/deeper"])
    assert "no answer to review yet" in out
