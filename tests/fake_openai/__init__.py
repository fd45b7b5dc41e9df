"""A fake OpenAI-compatible server (audio transcriptions and chat completions) for tests.

The bot's real httpx clients talk to it over HTTP on 127.0.0.1 (port 0)::

    async with FakeOpenAI(api_key="sk-test") as fake:
        fake.transcripts.append("I would start with the business case.")
        ...  # configure [speech] base_url = fake.base_url
        [call] = await fake.wait_for_calls("audio/transcriptions", 1)

Modes, each for the next call(s) to one endpoint: `fail_next` (an HTTP status, with
Retry-After for 429), `malformed_next` (a body that is not what the API returns), `hold` (a
slow server: answers wait until `release`, so a client timeout fires without a fixed sleep).
Chat replies come from `reviews` (a queue of dicts or raw strings, so a test can send a reply
that ignores the schema); with the queue empty a valid review is sent.
"""

from tests.fake_openai.server import VALID_REVIEW, FakeOpenAI, RecordedCall

__all__ = ["VALID_REVIEW", "FakeOpenAI", "RecordedCall"]
