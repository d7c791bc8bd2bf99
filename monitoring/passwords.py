"""Staff passwords by NIST SP 800-63B 5.1.1.2: long, not common, no composition rules; argon2 hashes.

`problem(password, name)` says why a new password is refused (None when it is fine); `hash_password`
and `verify` wrap argon2. Passwords are compared after Unicode NFKC normalisation (800-63B 5.1.1.2),
so the same password typed on two keyboards is the same password.
"""
from __future__ import annotations

import gzip
import re
import unicodedata
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12  # 800-63B allows 8; ASVS 2.1.1 asks 12
MAX_LENGTH = 128  # ASVS 2.1.2: at least 64 allowed, more than 128 refused (argon2 would take any)
COMMON = Path(__file__).resolve().parent / "data" / "common-passwords.txt.gz"
SEQUENCES = ("abcdefghijklmnopqrstuvwxyz", "0123456789", "qwertyuiopasdfghjklzxcvbnm", "1qaz2wsx3edc4rfv5tgb")


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of breached passwords (monitoring/data/README.md says where it comes from)."""
    with gzip.open(COMMON, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip() for line in handle if line.strip())


def normalise(password: str) -> str:
    """The password in Unicode NFKC, so the same password typed on two keyboards hashes the same (NIST SP
    800-63B 5.1.1.2)."""
    return unicodedata.normalize("NFKC", password)


def problem(password: str, name: str = "") -> str | None:
    """Why `password` may not be used by the staff member `name`, as a sentence for the form; None if fine.

    Refused: shorter than 12 or longer than 128 characters; on the list of breached passwords, also
    with digits or symbols added at its end; one character or a short run repeated; a keyboard or
    alphabet sequence; the person's name or the service's name. No rule about character classes.
    """
    password = normalise(password or "")
    if len(password) < MIN_LENGTH:
        return f"Passwords must be at least {MIN_LENGTH} characters: a few words together work well."
    if len(password) > MAX_LENGTH:
        return f"Passwords must be at most {MAX_LENGTH} characters."
    folded = password.casefold()
    squeezed = re.sub(r"\s+", "", folded)
    base = re.sub(r"[\W\d_]+$", "", squeezed)
    if squeezed in common_passwords() or base in common_passwords():
        return "That password is on a list of passwords stolen in breaches; choose another."
    if len(set(squeezed)) < 4 or _repeats(squeezed) or _sequence(squeezed):
        return "That password is a repeated or sequential pattern; choose a few words instead."
    words = [word for word in re.split(r"\W+", (name or "").casefold()) if len(word) >= 4]
    if "crswatch" in squeezed or any(word in squeezed for word in words):
        return "A password must not contain your name or the service's name."
    return None


def _repeats(text: str) -> bool:
    """The same short run again and again ('abcabcabcabc', 'passpasspass')."""
    return any(len(text) % size == 0 and text == text[:size] * (len(text) // size) for size in range(1, 5))


def _sequence(text: str) -> bool:
    """Wholly a run of the alphabet, the digits or a keyboard row, forwards or backwards."""
    for run in SEQUENCES:
        doubled = run * 3
        if text in doubled or text in doubled[::-1]:
            return True
    return False


def hash_password(password: str) -> str:
    """The stored hash of `password` (normalised first), in the hasher's own encoded form."""
    return _hasher().hash(normalise(password))


def verify(password_hash: str, password: str) -> bool:
    """True when `password` matches `password_hash`; False for a wrong password or a malformed hash (never raises)."""
    try:
        return _hasher().verify(password_hash, normalise(password or ""))
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with older parameters than the hasher's now (rehash at the next sign-in)."""
    return _hasher().check_needs_rehash(password_hash)
