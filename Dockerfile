# The bot in a slim image: the package with its question bank and migrations, run as a non-root
# user. SQLite by default (a volume at /data); set DATABASE_URL for PostgreSQL (see compose.yaml).
#
#   docker build -t interview-bot .
#   docker run -d --name interview-bot -e TELEGRAM_BOT_TOKEN=... -v interview-bot-data:/data interview-bot

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot bot
COPY questions questions
COPY storage storage
# asyncpg too, so one image serves SQLite and PostgreSQL.
RUN pip install --no-cache-dir --root-user-action=ignore --prefix=/install '.[postgres]'

FROM python:3.11-slim
RUN useradd --system --uid 10001 --create-home --home-dir /home/bot bot \
    && mkdir /data && chown bot:bot /data
COPY --from=build /install /usr/local
USER bot
WORKDIR /home/bot
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DATABASE_URL=sqlite+aiosqlite:////data/interview-bot.db
VOLUME ["/data"]
# The bot finishes what is in flight and exits on SIGTERM; `docker stop` waits 10 s by default.
STOPSIGNAL SIGTERM
ENTRYPOINT ["interview-bot"]
CMD ["run"]
