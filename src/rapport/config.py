"""Settings, read from RAPPORT_* environment variables (and a .env file), every limit named."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """All runtime configuration; each field is set by the env var RAPPORT_<FIELD NAME>."""

    model_config = SettingsConfigDict(env_prefix="RAPPORT_", env_file=".env", extra="ignore")

    data_dir: Path = Path("data")
    database_url: str | None = None
    secret_key: str | None = None
    base_url: str = "http://127.0.0.1:8000"

    # Limits: each appears by its env var name in the error that enforces it.
    max_body_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)
    max_attachment_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    max_attachments_per_message: int = Field(default=20, ge=0)
    max_message_chars: int = Field(default=200_000, ge=100)
    max_page_size: int = Field(default=200, ge=1)

    session_days: int = Field(default=14, ge=1)
    # How long a process may reuse a resolved API token; a revocation reaches other processes within this.
    auth_cache_seconds: float = Field(default=2.0, ge=0)
    auto_close_after_days: int = Field(default=4, ge=0)
    # How far ahead a conversation may be snoozed (conversations/snooze.py).
    snooze_max_days: int = Field(default=90, ge=1, le=3650)
    # Event consumers (events.consumers): events handed over per transaction, and how long a gap in the event ids
    # may be waited for (a later id can commit first on PostgreSQL) before it counts as rolled back.
    event_consumer_batch: int = Field(default=500, ge=1)
    event_gap_wait_seconds: float = Field(default=5.0, ge=0)
    # Tries of one event by one consumer (a round each) before it is set aside in event_dead_letters.
    event_max_attempts: int = Field(default=5, ge=1)
    # In-app notifications: the badge counts unread ones up to this cap (then shows "99+"), the page lists this many.
    notifications_badge_cap: int = Field(default=99, ge=1)
    notifications_page_size: int = Field(default=50, ge=1, le=500)
    # Conversations on one page of an inbox view (also the most a bulk action changes at once).
    inbox_page_size: int = Field(default=50, ge=1, le=500)
    # Inbox view counts stop at this many (shown as "999+"): a count costs at most this many index entries. A view
    # filtered by what no index holds (channel, tag, segment …) checks its inbox_count_scan most recently updated
    # conversations and shows the matches among them as "N+" when there were more to check.
    inbox_count_cap: int = Field(default=999, ge=1)
    inbox_count_scan: int = Field(default=1000, ge=1)
    # A condition ("conversations where …": saved views, API filters, rules) nests at most this deep, has at most
    # this many tests, and a list of values (`in`) at most this many: every condition compiles to one statement.
    condition_max_depth: int = Field(default=6, ge=1)
    condition_max_leaves: int = Field(default=40, ge=1)
    condition_max_values: int = Field(default=100, ge=1)
    # A text pattern in a condition (`matches`) is at most this long, and refused when its worst case over the
    # first condition_text_max_chars characters of a text (all a rule reads of a message) could take more steps.
    condition_pattern_max_chars: int = Field(default=200, ge=1)
    condition_text_max_chars: int = Field(default=2000, ge=100)
    condition_pattern_max_steps: int = Field(default=50_000_000, ge=1000)
    # Rules: actions in one rule; how deep a cascade (a rule reacting to what another rule did) may go before it is
    # stopped and recorded; the replies rules send one customer per hour; the text of a note or reply a rule writes;
    # how many days and events a replay (dry run) reads.
    rules_max_actions: int = Field(default=20, ge=1)
    rules_max_cascade: int = Field(default=3, ge=0, le=20)
    rules_replies_per_customer_per_hour: int = Field(default=3, ge=1)
    rules_text_max_chars: int = Field(default=5000, ge=100)
    rules_replay_max_days: int = Field(default=30, ge=1, le=366)
    rules_replay_max_events: int = Field(default=50_000, ge=100)
    # A rule's runs and cascade marks are kept this many days (at least a year and a day: a time rule waits up to a
    # year, and its run must still say it fired once for its event), then forgotten by a daily job.
    rules_runs_keep_days: int = Field(default=400, ge=367)
    # A service policy's what-if replays at most this many days of history (a longer one reads too much at once).
    sla_whatif_max_days: int = Field(default=90, ge=1, le=3660)
    # A what-if over many conversations (whatif.SPLIT_MIN) is shared by this many processes, each replaying a range
    # of the window (capped at the machine's cores); 1 replays it in the request's own process.
    sla_whatif_processes: int = Field(default=2, ge=1, le=64)
    # A playbook template has at most this many steps; a step is due at most this many days (of business time, on
    # its calendar) after the start or the step before; a conversation runs at most this many playbooks at once.
    playbook_max_steps: int = Field(default=30, ge=1, le=200)
    playbook_max_offset_days: int = Field(default=365, ge=1, le=3660)
    playbook_max_running: int = Field(default=10, ge=1, le=100)
    # A customer's contacts within this many days are counted on the conversation ("3rd contact in 7 days").
    repeat_contact_days: int = Field(default=7, ge=1)
    # Macros: the longest reply or note a macro holds, the most tags it changes, the most macros one agent keeps
    # personally (and the most team and shared ones together), and the days after a macro's use in which a reopen
    # counts against it (its "reopened within" measure).
    macro_max_chars: int = Field(default=20_000, ge=100, le=200_000)
    macro_max_tags: int = Field(default=20, ge=1, le=200)
    macro_max_count: int = Field(default=500, ge=10, le=10_000)
    macro_reopen_days: int = Field(default=7, ge=1, le=90)
    # The customers page lists recently active customers by walking conversations, latest first: at most this
    # many are read for one page (a customer with many recent conversations makes a page shorter, never slower).
    customer_list_scan: int = Field(default=5000, ge=100)
    # The profile form's attributes text ('name: value' lines).
    customer_attributes_max_chars: int = Field(default=20_000, ge=100)
    # An iCal feed imported into a business-hours calendar (uploaded or pasted; never fetched) is refused beyond this.
    ical_max_bytes: int = Field(default=1024 * 1024, ge=1024)
    # A closure added on a calendar's admin page (a stock-take day, a move) spans at most this many days: a longer
    # closed time is a change of hours, made as a new version of them.
    calendar_closure_max_days: int = Field(default=31, ge=1, le=3660)
    # Routing: an agent's capacity (conversations, weighted by channel) is 1..this; skills per agent and per
    # conversation at most routing_skills_max; the spillover timer and the stickiness window at most these; when an
    # agent becomes available, at most routing_queue_batch queued conversations are routed at once; "next best"
    # looks at most routing_pull_scan queued conversations for one the agent may take.
    routing_capacity_max: int = Field(default=100, ge=1)
    routing_skills_max: int = Field(default=20, ge=1)
    routing_spillover_max_seconds: int = Field(default=7 * 86400, ge=60)
    routing_sticky_max_days: int = Field(default=90, ge=1)
    routing_queue_batch: int = Field(default=50, ge=1)
    routing_pull_scan: int = Field(default=200, ge=1)
    # The system's own outgoing mail (sign-in links, verification links), not an inbox's replies.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str | None = None
    smtp_password: str | None = None
    mail_from: str = "Rapport <rapport@localhost>"
    # Email inboxes: at most this many messages per sender per hour become messages (0: no limit); the rest
    # are quarantined. Larger mails than email_max_message_bytes are quarantined too.
    email_max_per_sender_per_hour: int = Field(default=20, ge=0)
    email_max_message_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)
    # "host:port" to also receive mail for email inboxes by SMTP (off when unset).
    email_smtp_listen: str | None = None
    # The wait announced for a person before any request has been answered recently.
    expected_wait_default_seconds: int = Field(default=180, ge=1)
    # Twilio (SMS and voice): the timeout of calls to Twilio's REST API and of media downloads.
    twilio_http_timeout_seconds: float = Field(default=15, gt=0)
    secure_cookies: bool = False
    # Agent sign-in: failed password attempts allowed per email address within the lockout window.
    login_max_attempts: int = Field(default=5, ge=1)
    login_lockout_minutes: int = Field(default=15, ge=1)
    # How long the link an admin sends a new agent (to choose a password and sign in) works; it works once.
    agent_invite_hours: int = Field(default=72, ge=1)
    # How long a "forgot password" link works (it works once; asking is limited like every mail to a typed address).
    password_reset_minutes: int = Field(default=60, ge=5, le=1440)
    # Live push (realtime/): Redis fans pushes out across processes when set; otherwise in-process only.
    redis_url: str | None = None
    redis_channel: str = "rapport:live"
    live_queue_size: int = Field(default=256, ge=1)
    live_max_streams: int = Field(default=10_000, ge=1)
    live_heartbeat_seconds: float = Field(default=15.0, gt=0)
    # Typing signals one sender (a chat visitor, an agent) may send a minute; repeats within 2 s are dropped anyway.
    typing_signals_per_minute: int = Field(default=60, ge=1)
    # The supervisor board (/supervisor): how many conversations each of its lists shows (human queue, waiting
    # longest); the counts above the lists are always complete.
    supervisor_board_rows: int = Field(default=15, ge=1, le=200)
    # Web chat: messages a visitor may send per hour (the email verification's settings are at the end).
    chat_max_messages_per_hour: int = Field(default=1200, ge=1)
    # Outside HTTP APIs (WhatsApp Graph API): how long one request may take.
    http_timeout_seconds: float = Field(default=30.0, gt=0)
    # Outgoing webhooks (webhooks/): the whole of one delivery attempt (connect, send, read) may take this long
    # (kept well under the worker's 300 s claim on a job); attempts before a delivery is dead (retries back off
    # exponentially: 10 s, 20 s, 40 s … at most an hour apart); how much of a receiver's answer is read and kept;
    # and how many days finished deliveries stay in the log.
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    webhook_max_attempts: int = Field(default=12, ge=1, le=50)
    webhook_response_bytes: int = Field(default=2048, ge=0, le=65536)
    webhook_log_days: int = Field(default=30, ge=1)
    # The customer portal: sign-in links, customer sessions, and the web form's rate limit.
    portal_link_minutes: int = Field(default=30, ge=1)
    # The link in the receipt of a web form request from a new address (it also confirms the address).
    portal_receipt_link_hours: int = Field(default=72, ge=1)
    portal_session_hours: int = Field(default=24 * 7, ge=1)
    portal_requests_per_hour: int = Field(default=5, ge=1)
    run_worker: bool = True
    # Serve POST /api/v1/messages/inbound through its lean ASGI path (conversations/inbound_fast.py).
    inbound_fast_path: bool = True
    # Serve the inbox list and the conversation open through their lean ASGI path (web/lean.py).
    lean_reads: bool = True
    # A bulk import into empty tables drops their secondary indexes and builds them once at the end (db/deferred.py).
    import_defer_indexes: bool = True
    db_pool_size: int = Field(default=10, ge=1)
    # Database sessions a web process's requests hold at once (the rest wait their turn on the event loop): below
    # the thread pool's 40 threads and the connection pool (db_pool_size plus its overflow), so holders always
    # find a thread and a connection. Few, because the threads share one GIL: with a local database the work is
    # Python CPU, and at 20 the threads' handing the GIL back and forth cost a third of the throughput
    # (bench/README.md). A database across a network, where requests mostly wait, wants more.
    request_sessions: int = Field(default=2, ge=1, le=39)
    # How long one thread may run while another waits for the GIL (sys.setswitchinterval), in milliseconds; unset,
    # see `switch_interval`. A thread back from the database waits up to this long for the event loop's thread to
    # let go, once per statement (bench/README.md).
    gil_switch_ms: float | None = Field(default=None, gt=0, le=100)
    # SQLite's page cache per connection and its memory map of the database file (both count toward RSS).
    sqlite_cache_mb: int = Field(default=32, ge=1)
    sqlite_mmap_mb: int = Field(default=64, ge=0)
    # How often the background checkpoint copies SQLite's WAL into the database (small and often: short fsyncs).
    sqlite_checkpoint_seconds: float = Field(default=0.1, gt=0)
    # Hardening (front door): `rapport demo` turns on its mail catcher (a loopback SMTP server whose catch the
    # page /demo/mail lists) with demo_mail_catcher; the newest demo_mail_keep mails stay in <data dir>/demo-mail.
    demo_mail_catcher: bool = False
    demo_mail_keep: int = Field(default=200, ge=1, le=100_000)
    # Hardening (sign-in, mail bombs, chat verification): failed sign-ins one client address may make within
    # RAPPORT_LOGIN_LOCKOUT_MINUTES over every account (spraying), beside RAPPORT_LOGIN_MAX_ATTEMPTS per account;
    # mails (sign-in links, confirmation codes, receipts) one normalised target address may be sent, and one client
    # may cause, per hour; how long a chat confirmation code works and how many wrong codes it takes.
    login_max_attempts_per_client: int = Field(default=20, ge=1)
    mail_per_address_per_hour: int = Field(default=5, ge=1)
    mail_per_client_per_hour: int = Field(default=20, ge=1)
    chat_verify_code_minutes: int = Field(default=30, ge=1)
    chat_verify_max_attempts: int = Field(default=5, ge=1)
    # Hardening (faults): leases renewed by a heartbeat, a database outage answered 503, the access log.
    # A claimed job is the worker's for this long; a heartbeat renews it every third of it while the job runs, so a
    # job whose process died is claimed again after at most this long.
    job_lease_seconds: float = Field(default=30.0, ge=3, le=3600)
    # The scheduler and worker (worker/): job threads of a worker (`rapport worker --threads` overrides it; `rapport
    # serve` runs one such worker in each web process unless RAPPORT_RUN_WORKER is false); at most this many jobs of
    # one kind run at once in one worker process, so a slow kind leaves threads for the rest; per-kind caps that
    # replace it, as JSON ({"webhooks.deliver": 3}).
    worker_threads: int = Field(default=4, ge=1, le=64)
    job_kind_concurrency: int = Field(default=2, ge=1, le=64)
    job_kind_limits: dict[str, Annotated[int, Field(ge=1, le=64)]] = Field(default_factory=dict)
    # Sign-in attempts are kept this many days (the lockout counts only the last RAPPORT_LOGIN_LOCKOUT_MINUTES;
    # older ones serve as a record) and then deleted by a daily job.
    login_attempts_keep_days: int = Field(default=30, ge=1)
    # The same for an email inbox's IMAP mailbox: the fetcher renews it (IDLE waits at most a third of it).
    email_lease_seconds: float = Field(default=30.0, ge=3, le=3600)
    # Retry-After (seconds) on the 503 answered while the database cannot be reached.
    db_retry_after_seconds: int = Field(default=5, ge=1, le=3600)
    # A database failure is logged once per kind per this many seconds (with a count), not once per request.
    db_error_log_seconds: float = Field(default=60.0, ge=1)
    # /readyz gives the database this long to answer SELECT 1.
    readiness_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    # One log line per request (method, path without the query string, status, duration) on the rapport.access logger.
    access_log: bool = True
    # Hardening (privacy and limits): new chat visitors and new chat conversations one client address may start
    # per hour (beyond them: 429 with Retry-After). The client address is the connecting one, unless the peer is
    # one of the trusted proxies (comma-separated IPs or CIDRs, uvicorn's forwarded_allow_ips), whose
    # X-Forwarded-For then names the client; empty trusts no proxy.
    chat_visitors_per_client_per_hour: int = Field(default=60, ge=1)
    chat_conversations_per_client_per_hour: int = Field(default=30, ge=1)
    trusted_proxies: str = ""
    # Hardening (email headers and stalls): HTML from outside (mail, the inbound API, replies) is refused past this
    # many characters or this nesting depth before anything parses it (the sanitiser's time grows with size times
    # depth); a mail is quarantined when reading it (parsing, quote stripping, sanitising) takes longer than
    # email_max_parse_seconds: in a reader process (channels/email/readers.py), killed at the bound; checked after
    # each step for a mail read in this process. A mail larger than email_read_inline_bytes is read by one of at
    # most email_read_processes reader processes (0: every mail in this process, threads only).
    max_html_chars: int = Field(default=2_000_000, ge=1000)
    max_html_depth: int = Field(default=400, ge=10)
    # The composer: an agent's or an inbox's email signature is at most this many characters (of markup); an
    # email reply has at most this many Cc and Bcc addresses together (each one also counted by
    # RAPPORT_MAIL_PER_ADDRESS_PER_HOUR).
    max_signature_chars: int = Field(default=2000, ge=10, le=20_000)
    max_mail_recipients: int = Field(default=20, ge=0, le=500)
    email_max_parse_seconds: float = Field(default=20.0, gt=0)
    email_read_processes: int = Field(default=2, ge=0, le=64)
    email_read_inline_bytes: int = Field(default=32_768, ge=0)
    # Surveys (surveys/): answers one client address may send per hour (a flood is refused, 429); survey mails one
    # normalised address may be sent per day (beyond it the request is withdrawn, not queued); the longest free text,
    # the most questions in a survey and the most reasons in a pick-list; the longest a link may stay valid.
    survey_answers_per_client_per_hour: int = Field(default=30, ge=1)
    survey_mails_per_address_per_day: int = Field(default=3, ge=1)
    survey_text_max_chars: int = Field(default=2000, ge=10, le=100_000)
    survey_max_questions: int = Field(default=8, ge=1, le=50)
    survey_max_reasons: int = Field(default=20, ge=1, le=100)
    survey_max_expiry_days: int = Field(default=60, ge=1, le=365)
    # Recognition (recognition/): a recovery follow-up (an unhappy answer) is due this many business minutes after
    # the answer, a thank-you task this many, both on the conversation's calendar (its response clock's; none:
    # every minute counts); the reason codes a recovery follow-up is closed with; the longest outcome and the
    # longest customer comment a kudos shows (cut with an ellipsis).
    followup_due_minutes: int = Field(default=480, ge=1, le=60 * 24 * 60)
    thanks_due_minutes: int = Field(default=2400, ge=1, le=60 * 24 * 60)
    followup_reason_codes: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]] = Field(
        default=[
            "slow_response",
            "wrong_answer",
            "product_issue",
            "policy",
            "agent_manner",
            "expectation_gap",
            "other",
        ],
        min_length=1,
        max_length=50,
    )
    followup_outcome_max_chars: int = Field(default=2000, ge=10, le=20_000)
    kudos_comment_max_chars: int = Field(default=600, ge=20, le=10_000)
    # The survey report: a figure over fewer answers than this is shown as "too few answers"; the longest period.
    survey_report_min_answers: int = Field(default=30, ge=1, le=100_000)
    survey_report_max_days: int = Field(default=400, ge=1, le=3660)

    def switch_interval(self, *, serving: bool) -> float:
        """The GIL switch interval in seconds: RAPPORT_GIL_SWITCH_MS, else 0.5 ms except for a web process on SQLite.

        0.5 ms took PostgreSQL ingest from about 780 to 1,170 msg/s and the bulk import up 9–11%. A web process on
        SQLite keeps Python's 5 ms: its pages render on the event loop's thread, and at 0.5 ms their single-client
        p95 rose from 20 to 63 ms while its ingest, bound by the writer's turn, did not move.
        """
        if self.gil_switch_ms is not None:
            return self.gil_switch_ms / 1000
        sqlite = self.resolved_database_url.startswith("sqlite")
        return 0.005 if serving and sqlite else 0.0005

    @property
    def resolved_database_url(self) -> str:
        """The database URL: RAPPORT_DATABASE_URL, or SQLite in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'rapport.db').resolve()}"

    @property
    def attachments_dir(self) -> Path:
        """Where attachment blobs live, by content hash."""
        return self.data_dir / "attachments"

    @property
    def mail_dir(self) -> Path:
        """Where received raw mail (by content hash) and sent-mail markers live."""
        return self.data_dir / "mail"

    def resolved_secret_key(self) -> str:
        """The signing key: RAPPORT_SECRET_KEY, else one generated once and kept in the data directory."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        self.secret_key = path.read_text().strip()
        return self.secret_key


_current: Settings | None = None


def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    global _current
    if _current is None:
        _current = Settings()
    return _current


def use_settings(settings: Settings) -> Settings:
    """Make `settings` the process-wide settings (the app factory and tests call this)."""
    global _current
    _current = settings
    return settings
