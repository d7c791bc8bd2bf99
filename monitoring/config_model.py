"""Every setting described once: one pydantic model per settings table (`[clinic]`, `[thresholds]`, ...).

Each field carries its type, default, allowed range (`ge`/`le`), unit, SOP source (the line of
/work/shared/SOP.txt), the label an administrator reads on the settings page and the help text that is
both the page's hint and the comment in config.example.toml (generated from this model:
`python -m monitoring.config example`). `monitoring.config.load` validates a TOML file or a dict with
`Settings`; the dashboard's stored edits are validated the same way (monitoring.settings).

The clinical thresholds' numbers stay in `triage` (`Thresholds` defaults and `THRESHOLD_RANGES`, the part a
clinician reviews); their fields here take default and range from there and add what a person reads.
The value types (monitoring/config_types.py) refuse a wrong value; a problem across fields raises
`ConfigError` here, naming the key.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from monitoring.config_types import (
    Address,
    Clock,
    ConfigError,
    Flag,
    Number,
    OptionalClock,
    OptionalPhone,
    Phone,
    Text,
    Whole,
    Words,
    clinic_name,
    clinic_own_number,
    database_file,
    is_example_number,
    known_backend,
    messaging_service,
    mrn_uri,
    on_call_chain,
    open_days,
    parse_clock,
    person_name,
    problem,
    session_secret,
    site_address,
    storage_uri,
    time_zone,
)
from triage.model import Thresholds as TriageThresholds
from triage.ranges import THRESHOLD_RANGES


def setting(default: Any, label: str, help: str, *, ge: float | None = None, le: float | None = None,
            unit: str = "", sop: str = "", form_help: str = "") -> Any:
    """A field: `default`, its inclusive range, and what a person reads (label and unit on the settings page,
    help as the page's hint and the config file's comment, `sop` quoting the SOP line it comes from,
    `form_help` where the page's field is typed differently from the file, as a list is)."""
    extra: dict[str, Any] = {"label": label, "unit": unit, "sop": sop, "form_help": form_help}
    if isinstance(default, list):
        return Field(default_factory=lambda: list(default), description=help, json_schema_extra=extra)
    return Field(default, ge=ge, le=le, description=help, json_schema_extra=extra)


_SOP_NUMBERS = TriageThresholds()


def clinical(name: str, label: str, help: str, *, unit: str, sop: str) -> Any:
    """A `[thresholds]` field: default and allowed range from triage, which owns what the SOP can mean."""
    low, high = THRESHOLD_RANGES[name]
    return setting(getattr(_SOP_NUMBERS, name), label, help, ge=low, le=high, unit=unit, sop=sop)


class Table(BaseModel):
    """A settings table: unknown keys refused, never changed after loading. `editable`: on the settings
    page (stored edits over the file), with `title` as its heading there."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)
    editable: ClassVar[bool] = False
    title: ClassVar[str] = ""
    manual: ClassVar[str] = ""  # comment lines above the table in config.example.toml


class Clinic(Table):
    """[clinic]: the clinic's name, phone, time zone, opening hours and days (in hours the urgent text says call the clinic, after hours the emergency department), and the dashboard's address."""

    editable = True
    title = "Clinic"

    name: Annotated[Text, AfterValidator(clinic_name)] = setting(
        "Example Cancer Center", "Clinic name (in every text)",
        "shown in texts to patients; at most 40 characters")
    phone: Phone = setting("+15555550100", "Clinic phone patients call",
                           "E.164, like +15555550100: the number patients are told to call (every urgent text)")
    timezone: Annotated[Text, AfterValidator(time_zone)] = setting(
        "America/Chicago", "Time zone", "IANA zone, like America/Chicago: clinic hours, quiet hours and times in texts")
    open: Clock = setting("08:00", "Opens", "HH:MM, 24-hour local time",
                          sop='SOP 5 Grade 2, line 65: "If after hours ... recommend ED evaluation": '
                              "outside clinic hours urgent texts say ED")
    close: Clock = setting("17:00", "Closes", "HH:MM, 24-hour local time; later than the opening time",
                           sop='SOP 5 Grade 2, line 65: "If after hours ... recommend ED evaluation"')
    days: Annotated[Words, AfterValidator(open_days)] = setting(
        ["mon", "tue", "wed", "thu", "fri"], "Days open", "days the clinic answers its phone (mon..sun)",
        form_help="comma-separated: mon, tue, wed, thu, fri, sat, sun")
    dashboard_url: Annotated[Address, AfterValidator(site_address)] = setting(
        "", "Dashboard address in nurse texts",
        "an http(s) address, like https://monitor.example.org, linked in nurse texts; "
        "empty: [sms] public_base_url, else the address `serve` (make run) listens on, else http://localhost:5000",
        form_help="an http(s) address, like https://monitor.example.org; empty: the SMS public address")

    @model_validator(mode="after")
    def _opens_before_it_closes(self) -> Clinic:
        if parse_clock("clinic.close", self.close) <= parse_clock("clinic.open", self.open):
            raise ConfigError("clinic.close", f"must be later than clinic.open ({self.open})")
        return self


class Database(Table):
    """[database]: where the SQLite file lives."""

    path: Annotated[Text, AfterValidator(database_file)] = setting("instance/crswatch.db", "Database file",
                         "SQLite file (WAL, synchronous=FULL); created by `flask --app app init-db`")


class Twilio(Table):
    """[sms.twilio]: the Twilio account the texts and calls go through (https://www.twilio.com/docs/usage/api)."""

    account_sid: Text = setting("", "Twilio account SID", "required when backend = \"twilio\"")
    auth_token: Text = setting("", "Twilio auth token", "signs and checks webhooks; required when backend = \"twilio\"")


class Sms(Table):
    """[sms]: the gateway (outbox for the demo, twilio for real), the sender or Messaging Service, its rate, retries, prompt spreading and the webhook's public address."""

    backend: Annotated[Text, AfterValidator(known_backend)] = setting(
        "outbox", "Texts go through", '"outbox": record and print texts (no account needed); "twilio": send them')
    from_number: Phone = setting("+15555550123", "Number patients text", "E.164; the Twilio number patients text")
    pager_number: OptionalPhone = setting(
        "", "Number nurses are paged from",
        "a second Twilio number (E.164) that pages, calls and every text to staff come from, so nurses can give it "
        "a ringtone of its own and let it through Do Not Disturb, and a burst of prompts to patients never holds a "
        "page back (each number has its own sending rate); point its messaging webhook at /sms/inbound too, so "
        "ACK replies arrive (docs/operations.md); an account refusal of it sends the page from from_number; \"\": "
        "from_number")
    public_base_url: Annotated[Address, AfterValidator(site_address)] = setting(
        "", "Public address", 'e.g. "https://monitor.example.org": the URL Twilio calls (signatures are checked '
                              "over it behind a proxy) and nurse texts link to; empty: the request's own URL")
    webhook_overrides: Text = setting(
        "", "Webhook connection overrides",
        "the connection overrides you put after '#' on the webhook URL in Twilio, e.g. "
        '"rc=3&rp=ct,rt,5xx&rt=10000&tt=15000" (docs/operations.md): a signature over the URL with or without '
        "them is accepted")
    max_per_second: Number = setting(1.0, "Texts per second", "sending rate per sender; a US long code takes about 1/s",
                                     ge=0.1, le=100, unit="texts/s")
    retry_for_minutes: Whole = setting(
        60, "Retry failed texts for (minutes)", "retryable failures (429, 5xx, timeouts) are retried with backoff "
                                                "this long", ge=1, le=24 * 60, unit="minutes")
    messaging_service_sid: Annotated[Text, AfterValidator(messaging_service)] = setting(
        "", "Twilio Messaging Service", 'a Messaging Service ("MG" + 32 hex digits) sends instead of from_number, '
                                        'from its pool of senders, so a clinic can raise its rate; "": from_number')
    messaging_service_senders: Whole = setting(
        1, "Senders in the Messaging Service", "senders in that service's pool: texts leave at max_per_second each",
        ge=1, le=400, unit="senders")
    prompt_spread_minutes: Whole = setting(
        5, "Spread a burst of prompts over (minutes)",
        "prompts falling due in the same minute leave over at most this many minutes, so a burst never stands "
        "in front of an urgent text (0: all at once)", ge=0, le=30, unit="minutes")
    twilio: Twilio = Field(default_factory=Twilio)

    @model_validator(mode="after")
    def _pager_is_another_number(self) -> Sms:
        if self.pager_number and self.pager_number == self.from_number:
            raise ConfigError("sms.pager_number", "is sms.from_number; set a second Twilio number, or leave it empty "
                                                  "to page from sms.from_number")
        return self


class Scheduler(Table):
    """[scheduler]: whether this process runs the due-work jobs, how often it looks, and its lease."""

    enabled: Flag = setting(True, "Background scheduler",
                            "false: no background scheduler; run `flask --app app tick` yourself")
    poll_seconds: Whole = setting(5, "Look for due work every (seconds)", "how often due work is looked for",
                                  ge=1, le=60, unit="seconds")
    lease_seconds: Whole = setting(30, "Scheduler lease (seconds)",
                                   "one scheduler at a time: another takes over this long after one dies",
                                   ge=5, le=600, unit="seconds")


class Checkins(Table):
    """[checkins]: how often patients are asked for their temperature, reminders, missed check-ins, the monitoring window, quiet hours and the caregiver's daily neuro check time."""

    editable = True
    title = "Check-ins"

    interval_minutes: Whole = setting(120, "Minutes between check-ins", "how often the patient is asked for a check-in",
                                      ge=15, le=240, unit="minutes",
                                      sop='SOP 5 Grade 1 Home, line 64: "check temperature every 1-2 h"')
    febrile_interval_minutes: Whole = setting(
        60, "Minutes between check-ins while febrile", "while the last temperature was a fever: hourly, the SOP's 1 h end",
        ge=15, le=240, unit="minutes", sop='SOP 5 Grade 1 Home, line 64: "every 1-2 h"')
    # Not SOP numbers: the clinic's choices for a 2-hourly check-in (DESIGN: silence is a symptom).
    reminder_after_minutes: Whole = setting(15, "Remind after (minutes without an answer)",
                                            "no answer yet: one reminder", ge=1, le=120, unit="minutes")
    missed_after_minutes: Whole = setting(45, "Count as missed after (minutes)",
                                          "no answer by then: the check-in counts as missed (after the reminder, "
                                          "before the next prompt)", ge=2, le=240, unit="minutes")
    escalate_after_missed: Whole = setting(2, "Alert the nurse after this many missed in a row",
                                           "this many missed in a row: alert the nurse; silence can be confusion", ge=1, le=10, unit="check-ins")
    monitoring_hours: Whole = setting(72, "Hours of monitoring after a dose",
                                      "an episode ends this long after the step-up dose; prompts stop. The step-up "
                                      "dose's usual CRS window; SOP 4 (line 43) names only 1-2 h on site",
                                      ge=1, le=24 * 14, unit="hours")
    quiet_start: OptionalClock = setting("", "Quiet hours start",
                                         'optional quiet hours, local "HH:MM"; none by default: the SOP says every '
                                         "1-2 h, day and night", form_help="HH:MM or empty (the SOP says every 1-2 h, "
                                                                           "day and night)")
    quiet_end: OptionalClock = setting("", "Quiet hours end", "set both or neither; red flags and pages are never quiet",
                                       form_help="HH:MM or empty")
    neuro_check_time: OptionalClock = setting(
        "10:00", "Caregivers' daily neuro check at",
        'daily neuro check texted to caregivers, clinic time; "" turns it off. A screen prompting a clinician\'s '
        "evaluation, not an ICE score", sop='SOP 4 Workup, line 39: "Assess for concurrent symptoms of neurotoxicity"',
        form_help="HH:MM, clinic time, or empty to turn it off (a screen, not an ICE score)")

    @model_validator(mode="after")
    def _in_order(self) -> Checkins:
        if not self.reminder_after_minutes < self.missed_after_minutes < self.interval_minutes:
            raise ConfigError("checkins.missed_after_minutes",
                              f"must be later than checkins.reminder_after_minutes ({self.reminder_after_minutes}) "
                              f"and sooner than checkins.interval_minutes ({self.interval_minutes})")
        if self.missed_after_minutes >= self.febrile_interval_minutes:
            raise ConfigError("checkins.febrile_interval_minutes",
                              f"must be longer than checkins.missed_after_minutes ({self.missed_after_minutes})")
        if bool(self.quiet_start) != bool(self.quiet_end):
            raise ConfigError("checkins.quiet_end", "set both checkins.quiet_start and checkins.quiet_end, or neither")
        return self


class Thresholds(Table):
    """[thresholds]: the SOP's home rules' numbers (fever, systolic, SpO2, acetaminophen, protracted fever, prolonged symptoms), each field with its SOP line."""

    editable = True
    title = "Clinical thresholds"

    fever_c: Number = clinical("fever_c", "Fever at or above (°C)", "a temperature at or above this is a fever",
                               unit="°C", sop="SOP 4 Grading, line 47: fever ≥ 100.4 °F (38 °C), inclusive")
    systolic_floor: Whole = clinical("systolic_floor", "Low systolic blood pressure below (mm Hg)",
                                     "a systolic pressure below this (with the drop below) is low", unit="mm Hg",
                                     sop='SOP 5 Grade 1 Home, line 64: "< 90 mm Hg systolic"')
    systolic_drop: Whole = clinical("systolic_drop", "…and more than this below the patient's baseline (mm Hg)",
                                    "more than this below the patient's baseline is a drop", unit="mm Hg",
                                    sop='SOP 5 Grade 1 Home, line 64: "10 mm Hg below baseline"')
    spo2_floor: Whole = clinical("spo2_floor", "Low oxygen (SpO2) below (%)", "an SpO2 below this is new hypoxia",
                                 unit="%", sop='SOP 5 Grade 1 Home, line 64: "new hypoxia (< 90%)"')
    acetaminophen_interval_hours: Number = clinical(
        "acetaminophen_interval_hours", "Hours between acetaminophen doses", "the soonest another dose is advised",
        unit="hours", sop='SOP 5 Grade 1 Home, line 64: "can repeat ... ≥ 6-8 h later"')
    acetaminophen_max_daily_mg: Whole = clinical(
        "acetaminophen_max_daily_mg", "Most acetaminophen in 24 hours (mg)",
        "the usual adult maximum, 4 g in 24 h; texts never advise more", unit="mg",
        sop='SOP 5 Grade 2, line 65: "Acetaminophen 650-1000 mg ... up to 3-4 times daily"')
    protracted_fever_hours: Number = clinical(
        "protracted_fever_hours", "Protracted fever despite steroids after (hours)",
        "fever this long despite corticosteroids: consider anticytokine therapy", unit="hours",
        sop='SOP 5 Grade 1 Additional, line 64: "protracted fever (e.g., > 48 h despite corticosteroids)"')
    prolonged_symptoms_days: Number = clinical(
        "prolonged_symptoms_days", "Prolonged symptoms after (days)", "symptoms this long: consider HLH/MAS",
        unit="days", sop='SOP 4 Workup, line 41: "duration of symptoms over 1 week"')


class Escalation(Table):
    """[escalation]: how long a page waits for ACK before it pages again, when an unacknowledged urgent page becomes a call, and whether a page carries the patient's callback number."""

    editable = True
    title = "Escalation"

    ack_timeout_minutes: Whole = setting(15, "Page again and the next on call after (minutes without ACK)",
                                         "an alert not acknowledged this long pages again and the next on call",
                                         ge=1, le=120, unit="minutes")
    # Not SOP numbers: the clinic's paging choices (issue 12, CONTRACT 8).
    call_after_minutes: Whole = setting(
        5, "Phone the paged nurse about an URGENT alert after (minutes without ACK; 0: never)",
        "an URGENT alert not acknowledged this long phones the paged nurse (press 1 to acknowledge, 2 to pass it "
        "on); 0 turns calls off. Not an SOP number. Voice set-up: docs/operations.md", ge=0, le=120, unit="minutes")
    page_callback_number: Flag = setting(
        True, "Pages carry the patient's phone number",
        "pages carry the patient's phone number so the nurse can call back at once; false (no) where pagers are not "
        "secure: the alert page then offers tap-to-call",
        form_help="yes: pages carry the patient's phone number so the nurse can call back at once; no where pagers are "
                  "not secure: the alert page then offers tap-to-call")


class Web(Table):
    """[web]: the session secret, request size, session and API token lifetimes, trusted proxies and rate-limit storage."""

    secret_key: Annotated[Text, AfterValidator(session_secret)] = setting("", "Session secret",
                               "signs dashboard sessions: at least 16 characters; empty: one is made once and kept in <database path>."
                               "secret_key (0600), shared by every worker")
    max_request_kb: Whole = setting(64, "Largest request (KB)", "larger request bodies are refused with 413",
                                    ge=4, le=10_240, unit="KB")
    idle_minutes: Whole = setting(15, "Sign out when idle after (minutes)",
                                  "dashboard sign-out after this long without activity (HIPAA 164.312(a)(2)(iii)); "
                                  "the dashboard's self-refresh is not activity", ge=2, le=120, unit="minutes")
    session_hours: Whole = setting(12, "Longest sign-in (hours)",
                                   "a dashboard sign-in ends this long after it began, however active",
                                   ge=1, le=24, unit="hours")
    api_token_days: Whole = setting(365, "API tokens last (days)", "a new staff API token works this many days",
                                    ge=1, le=3650, unit="days")
    trusted_proxies: Whole = setting(0, "Trusted reverse proxies",
                                     "reverse proxies in front whose X-Forwarded-For and -Proto to believe: 1 behind "
                                     "one nginx; 0 when clients connect directly (docs/operations.md)",
                                     ge=0, le=5, unit="proxies")
    ratelimit_storage_uri: Annotated[Text, AfterValidator(storage_uri)] = setting(
        "memory://", "Rate-limit storage", "rate-limit counters: memory:// is per process; redis://host:6379 shares "
                                           "them between workers and hosts (docs/operations.md)")

    @model_validator(mode="after")
    def _idle_within_session(self) -> Web:
        if self.idle_minutes >= self.session_hours * 60:
            raise ConfigError("web.idle_minutes", "must be shorter than web.session_hours")
        return self


class Fhir(Table):
    """[fhir]: the MRN system URI and the largest device Bundle accepted (docs/fhir.md)."""

    manual = "FHIR R4 API (docs/fhir.md): the system URI of the clinic's MRNs, and the largest device Bundle accepted."

    mrn_system: Annotated[Text, AfterValidator(mrn_uri)] = setting(
        "https://crswatch.org/fhir/NamingSystem/mrn", "MRN system URI",
        "your EHR's MRN system URI: Patient.identifier.system, and what a clinic device's subject.identifier.system "
        "must say")
    max_bundle_kb: Whole = setting(1024, "Largest device Bundle (KB)", "the largest Bundle a device hub may POST to "
                                   "/fhir/r4; other requests keep web.max_request_kb", ge=64, le=10_240, unit="KB")


class Rota(Table):
    """[rota]: who is on call when, by staff name; the on-call chain is the fallback."""

    manual = """Who is on call, by staff name (each added with `flask --app app staff add NAME --phone ...` or on the
    staff page), in paging order; the settings page picks and orders them. One chain for clinic hours
    ([clinic] open/close/days), one for nights and weekends (SOP 5 Grade 2, line 65: "after hours"). Empty, or
    nobody in it still active with a phone: the [[oncall]] chain at the end of this file."""

    editable = True
    title = "Who is on call"

    clinic_hours: Words = setting([], "On call in clinic hours", "staff names in paging order")
    after_hours: Words = setting([], "On call in nights and weekends", "staff names in paging order")


class OnCall(BaseModel):
    """One person of the fallback on-call chain."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, BeforeValidator(person_name)]
    phone: Phone

    @model_validator(mode="before")
    @classmethod
    def _exactly_name_and_phone(cls, person: object) -> object:
        if not isinstance(person, dict) or set(person) != {"name", "phone"}:
            raise problem("must have exactly the keys name and phone")
        return person


def _each_once(chain: list[OnCall]) -> list[OnCall]:
    """Each person and each phone once in the on-call chain (as a rota chain, monitoring.rota.check_names): a name
    twice leaves a page's name ambiguous, a phone twice re-pages the same phone as if it were the next person."""
    for index, person in enumerate(chain):
        for earlier in chain[:index]:
            if person.name.casefold() == earlier.name.casefold():
                raise ConfigError(f"oncall[{index}].name", f"{earlier.name!r} is already in the chain; each person once")
            if person.phone == earlier.phone:
                raise ConfigError(f"oncall[{index}].phone",
                                  f"{person.phone} is already {earlier.name}'s; each phone once in the chain")
    return chain


class Settings(BaseModel):
    """The whole config file: its tables, and `oncall`, the fallback on-call chain."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    clinic: Clinic = Field(default_factory=Clinic)
    database: Database = Field(default_factory=Database)
    sms: Sms = Field(default_factory=Sms)
    scheduler: Scheduler = Field(default_factory=Scheduler)
    checkins: Checkins = Field(default_factory=Checkins)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    escalation: Escalation = Field(default_factory=Escalation)
    web: Web = Field(default_factory=Web)
    fhir: Fhir = Field(default_factory=Fhir)
    rota: Rota = Field(default_factory=Rota)
    oncall: Annotated[list[OnCall], BeforeValidator(on_call_chain), AfterValidator(_each_once)] = Field(
        default_factory=lambda: [OnCall(name="Primary nurse", phone="+15555550142")],
        description="The on-call chain, in order: the first is paged first; unacknowledged, each timeout pages the "
                    "last person again and the next; past the end, the whole chain at each timeout. Each entry: "
                    "name, phone (E.164; a nurse's own, not the clinic's phone nor a number crswatch texts from).",
        json_schema_extra={"label": "On-call chain", "unit": "", "sop": "", "form_help": ""})

    @model_validator(mode="after")
    def _oncall_phones_are_the_nurses(self) -> Settings:
        """An on-call phone is no number of the clinic's own, as a staff phone may not be one (monitoring.staff): a
        page to the clinic's phone reaches a desk line, and one to [sms] from_number or pager_number is texted to
        crswatch itself, and no nurse is reached. A patient's phone is only known from the database: /healthz says."""
        for index, person in enumerate(self.oncall):
            own = clinic_own_number(person.phone, self.clinic.phone, (self.sms.from_number, self.sms.pager_number),
                                    "the nurse's")
            if own is not None:
                raise ConfigError(f"oncall[{index}].phone", own)
        return self

    @model_validator(mode="after")
    def _twilio_is_real(self) -> Settings:
        """Real texts must not go to the example numbers nor link nurses to localhost."""
        if self.sms.backend != "twilio":
            return self
        for key in ("account_sid", "auth_token"):
            if not getattr(self.sms.twilio, key):
                raise ConfigError(f"sms.twilio.{key}", "must be set when sms.backend is twilio")
        if not self.sms.public_base_url:
            raise ConfigError("sms.public_base_url", "must be set when sms.backend is twilio: Twilio calls it, "
                                                     "signatures are checked over it and nurse texts link to it")
        if is_example_number(self.clinic.phone):
            raise ConfigError("clinic.phone", "is still the example number; set the number patients should call")
        if is_example_number(self.sms.from_number):
            raise ConfigError("sms.from_number", "is still the example number; set your Twilio number")
        if self.sms.pager_number and is_example_number(self.sms.pager_number):
            raise ConfigError("sms.pager_number", "is an example number; set your second Twilio number, or leave it "
                                                  "empty to page from sms.from_number")
        for index, person in enumerate(self.oncall):
            if is_example_number(person.phone):
                raise ConfigError(f"oncall[{index}].phone", "is still an example number; set the on-call nurse's phone")
        return self


Kind = Literal["flag", "whole", "number", "words", "text", "table"]


@dataclass(frozen=True)
class Described:
    """What a person reads about one setting: the settings page's row and the config file's comment."""

    key: str  # "thresholds.fever_c"
    label: str
    help: str
    form_help: str
    unit: str
    sop: str
    low: float | None
    high: float | None
    default: Any
    kind: Kind


def table_of(section: str) -> type[BaseModel]:
    """The model of one settings table, by its name in the file (`clinic`, `sms.twilio`, ...); KeyError for
    a name that is not a table."""
    model: type[BaseModel] = Settings
    for part in section.split("."):
        annotation = model.model_fields[part].annotation if part in model.model_fields else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            raise KeyError(section)
        model = annotation
    return model


def _kind(default: Any) -> Kind:
    if isinstance(default, bool):
        return "flag"
    if isinstance(default, int):
        return "whole"
    if isinstance(default, float):
        return "number"
    if isinstance(default, list):
        return "words"
    return "text" if isinstance(default, str) else "table"


def _bound(metadata: list[Any], name: str) -> float | None:
    for item in metadata:
        if hasattr(item, name):
            return float(getattr(item, name))
    return None


@functools.cache
def described(section: str) -> tuple[Described, ...]:
    """Every setting of one table (`thresholds`, `sms.twilio`), in the file's order; nested tables left out.
    KeyError for a table the model does not have."""
    model = table_of(section)
    defaults = model()
    rows = []
    for name, info in model.model_fields.items():
        default = getattr(defaults, name)
        if isinstance(default, BaseModel):
            continue
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        rows.append(Described(
            key=f"{section}.{name}", label=str(extra.get("label", name)), help=info.description or "",
            form_help=str(extra.get("form_help", "")), unit=str(extra.get("unit", "")), sop=str(extra.get("sop", "")),
            low=_bound(info.metadata, "ge"), high=_bound(info.metadata, "le"), default=default, kind=_kind(default)))
    return tuple(rows)


def describe(key: str) -> Described:
    """One setting by its dotted key (`thresholds.fever_c`); KeyError for a key that is not a setting."""
    section = key.rpartition(".")[0]
    for row in described(section):
        if row.key == key:
            return row
    raise KeyError(key)


def editable_sections() -> list[str]:
    """The tables an administrator may edit on the settings page, in the file's order."""
    return [name for name, info in Settings.model_fields.items()
            if isinstance(info.annotation, type) and issubclass(info.annotation, Table) and info.annotation.editable]
