"""corpuskit-pii: redact e-mail addresses, phone numbers and IP addresses.

Each redaction is one ``Edit`` (rule ``email``, ``phone``, ``ipv4`` or ``ipv6``) that keeps the
original in the report, so ``corpuskit restore`` can undo it and ``corpuskit explain`` shows it.

Precision matters more than recall here: a corpus with a date or a price replaced by
``<PHONE>`` is damaged in a way nobody notices. So a digit run counts as a phone number only
when something says it is one (a ``+``/``00`` country prefix, a bracketed area code, a
"Tel."-like keyword before it, or a national layout such as ``555-123-4567`` /
``030 1234 5678``), and never when it looks like a date, a year range, a price, an ISBN, a
version number or a thousands-grouped number.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from pydantic import Field, model_validator

from corpuskit import Document, Pass, PassContext, PassOptions, hookimpl

__version__ = "0.1.0"

# -- e-mail -----------------------------------------------------------------------------------
_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w@-])"
)
_FILE_TLDS = frozenset({"png", "jpg", "jpeg", "gif", "webp", "svg", "css", "js", "ico"})
"""``logo@2x.png`` is a retina image name, not an address."""

# -- IP addresses -----------------------------------------------------------------------------
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{1,4})?"
    r"(?![\w:])"
)
_VERSION_WORDS = re.compile(r"\b(?:version|ver\.?|v|release|build|firmware)\s*$", re.IGNORECASE)

# -- phone numbers ----------------------------------------------------------------------------
_PHONE = re.compile(
    r"(?<![\w+/.,-])"
    r"(?:\+|00)?\(?\d[\d \t\u00a0().\-/]{4,24}\d(?![\w]|[.,]\d)"
)
_KEYWORD = re.compile(
    r"(?:\btel|\bphone|\bfax|\bmobile?|\bmob|\bcell|\bcall|\bhotline|\btelefon\w*|\btél"
    r"|\btéléphone|\bteléfono|\btelefono|\btlf|\btfn|\bhandy|\bnumer|\brufnummer|☎|📞)"
    r"[\s.:/()\w-]{0,12}$",
    re.IGNORECASE,
)
_CURRENCY_BEFORE = re.compile(r"(?:[$€£¥₹₽]|\b(?:USD|EUR|GBP|CHF|PLN|Rs\.?|US\$))\s*$")
_CURRENCY_AFTER = re.compile(
    r"^\s*(?:[$€£¥₹₽]|(?:USD|EUR|GBP|CHF|PLN|euros?|dollars?|Euro|zł|Franken)\b)", re.IGNORECASE
)
_ISBN_BEFORE = re.compile(r"\bISBN(?:-1[03])?[\s:]*$|\bISSN[\s:]*$|\bDOI[\s:]*$", re.IGNORECASE)
_DATE_INSIDE = re.compile(r"\b(?:\d{4}-\d{2}-\d{2}|\d{1,2}\.\d{1,2}\.(?:19|20)\d{2})\b")
_DATE = re.compile(
    r"^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./](?:\d{4}|\d{2}))$"
)


def _groups(candidate: str) -> list[str]:
    return re.findall(r"\d+", candidate)


def _looks_like_date(c: str) -> bool:
    s = c.strip()
    if not _DATE.match(s):
        return False
    parts = [int(x) for x in _groups(s)]
    if len(s.split(re.findall(r"[-./]", s)[0])[0]) == 4:
        year, a, b = parts
    else:
        a, b, year = parts
    return 1 <= a <= 31 and 1 <= b <= 31 and (year < 100 or 1000 <= year <= 2999)


def _looks_like_years(groups: list[str]) -> bool:
    return all(len(g) == 4 and 1000 <= int(g) <= 2999 for g in groups)


def _thousands_grouped(candidate: str, groups: list[str]) -> bool:
    """``1.234.567`` or ``1 234 567``: a number, not a phone."""
    if candidate.startswith(("+", "(")) or len(groups) < 2:
        return False
    return 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])


@dataclass(frozen=True)
class Found:
    start: int
    end: int
    rule: str
    kind: str


def _phone_ok(text: str, start: int, end: int) -> bool:
    cand = text[start:end]
    groups = _groups(cand)
    digits = sum(len(g) for g in groups)
    if not 6 <= digits <= 15 or cand.count("(") != cand.count(")"):
        return False
    before = text[max(0, start - 30):start]
    after = text[end:end + 12]
    line_before = before.rsplit("\n", 1)[-1]
    if (_CURRENCY_BEFORE.search(line_before) or _CURRENCY_AFTER.match(after)
            or _ISBN_BEFORE.search(line_before)):
        return False
    if after.startswith(":") or _DATE_INSIDE.search(cand):
        return False  # "09.08.2021 - 10:38": a date and a time
    if _looks_like_date(cand) or _looks_like_years(groups) or _thousands_grouped(cand, groups):
        return False
    if digits == 13 and groups[0][:3] in ("978", "979") and not cand.startswith("+"):
        return False  # an ISBN-13 without its label
    if re.search(r"\d\.\d{1,2}$", cand) and "." not in cand[:-3]:
        return False  # a decimal number such as 1234.56
    international = cand.startswith("+") or (cand.startswith("00") and digits >= 10)
    bracketed = "(" in cand
    keyword = bool(_KEYWORD.search(line_before))
    seps = re.findall(r"[\s().\-/]+", cand.strip("()"))
    if "\n" in cand or "\r" in cand:
        return False
    if international:
        return digits >= 8
    if keyword:
        return True
    if bracketed:
        return 9 <= digits <= 12
    # bare national layouts: several separated groups, 9-12 digits, a trunk 0 or NANP 3-3-4
    if not seps or not 9 <= digits <= 12:
        return False
    lens = [len(g) for g in groups]
    nanp = lens == [3, 3, 4] and len(set(seps)) == 1
    trunk = groups[0].startswith("0") and len(groups) >= 2 and len(groups[0]) >= 2
    return nanp or trunk


def find_pii(
    text: str, *, email: bool = True, phone: bool = True, ip: bool = True,
    only_public_ips: bool = True, allow: frozenset[str] = frozenset(),
) -> list[Found]:
    """Every redactable span in ``text``, sorted and non-overlapping (earlier, longer wins)."""
    found: list[Found] = []
    if email:
        for m in _EMAIL.finditer(text):
            tld = m.group().rsplit(".", 1)[-1].lower()
            if tld not in _FILE_TLDS and m.group() not in allow:
                found.append(Found(m.start(), m.end(), "email", "email"))
    if ip:
        found.extend(_find_ips(text, only_public_ips, allow))
    if phone:
        for m in _PHONE.finditer(text):
            start, end = m.start(), m.end()
            # trim an unmatched bracket or trailing separator the greedy class took
            while end > start and text[end - 1] in " -./(":
                end -= 1
            cand = text[start:end]
            if cand.count(")") > cand.count("(") and cand.endswith(")"):
                end -= 1
            if cand not in allow and _phone_ok(text, start, end):
                found.append(Found(start, end, "phone", "phone"))
    found.sort(key=lambda f: (f.start, -(f.end - f.start)))
    out: list[Found] = []
    for f in found:
        if out and f.start < out[-1].end:
            continue
        out.append(f)
    return out


def _find_ips(text: str, only_public: bool, allow: frozenset[str]) -> Iterator[Found]:
    for pattern, rule in ((_IPV4, "ipv4"), (_IPV6, "ipv6")):
        for m in pattern.finditer(text):
            s = m.group()
            if s in allow:
                continue
            if rule == "ipv6" and (s.count(":") < 2 or not re.search(r"[0-9A-Fa-f]", s)):
                continue
            try:
                addr = ipaddress.ip_address(s)
            except ValueError:
                continue
            if rule == "ipv4" and _VERSION_WORDS.search(text[max(0, m.start() - 12):m.start()]):
                continue
            if only_public and not addr.is_global:
                continue
            octets = s.split(".")
            if rule == "ipv4" and addr.is_global and "0" in octets[1:] and int(octets[0]) < 30:
                continue  # "Firefox 2.0.0.16", "Stinger 12.2.0.79": a version number

            yield Found(m.start(), m.end(), rule, "ip")


class PiiOptions(PassOptions):
    """What to redact and what to put in its place."""

    email: bool = Field(True, description="Redact e-mail addresses.")
    phone: bool = Field(True, description="Redact phone numbers.")
    ip: bool = Field(True, description="Redact IPv4 and IPv6 addresses.")
    only_public_ips: bool = Field(
        True,
        description="Leave private, loopback and documentation addresses (192.168.x.x, "
        "127.0.0.1, ::1) alone: they identify nobody and are common in technical text.",
    )
    email_token: str = Field("<EMAIL>", description="Replacement for an e-mail address.")
    phone_token: str = Field("<PHONE>", description="Replacement for a phone number.")
    ip_token: str = Field("<IP_ADDRESS>", description="Replacement for an IP address.")
    allow: list[str] = Field(
        default_factory=list,
        description="Exact strings never redacted (a project's public contact address).",
    )

    @model_validator(mode="after")
    def _tokens_are_inert(self) -> PiiOptions:
        # a token that is itself redactable would be redacted again on a second run
        for token in (self.email_token, self.phone_token, self.ip_token):
            if find_pii(token, only_public_ips=False):
                raise ValueError(f"replacement token {token!r} looks like PII itself")
        return self


_REASONS = {"email": "e-mail address redacted", "phone": "phone number redacted",
            "ip": "IP address redacted"}


class RedactPii(Pass):
    """Replace e-mail addresses, phone numbers and IP addresses with placeholder tokens."""

    name = "pii"
    summary = "Redact e-mail addresses, phone numbers and IP addresses"
    version = "1"
    Options = PiiOptions
    default_enabled = False
    default_order = 600

    def apply(self, doc: Document, ctx: PassContext) -> None:
        o = self.options
        assert isinstance(o, PiiOptions)
        tokens = {"email": o.email_token, "phone": o.phone_token, "ip": o.ip_token}
        for f in find_pii(doc.text, email=o.email, phone=o.phone, ip=o.ip,
                          only_public_ips=o.only_public_ips, allow=frozenset(o.allow)):
            ctx.replace(f.start, f.end, tokens[f.kind], rule=f.rule, reason=_REASONS[f.kind])
            ctx.count(f"{f.kind}_redacted")


@hookimpl
def corpuskit_register_passes(register: Callable[[type[Pass]], None]) -> None:
    register(RedactPii)
