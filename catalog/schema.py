"""The content model of one catalog entry (docs/catalog.md) and validation of content files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from channels.gsm7 import is_gsm7, segments

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SMS_MAX_SEGMENTS = 3
LIFE_EVENTS = frozenset(
    {
        "identitas-kependudukan", "keluarga", "kesehatan", "bantuan-sosial", "pekerjaan", "pendidikan",
        "kendaraan-berkendara", "keamanan-hukum", "perjalanan-luar-negeri", "pajak", "tanah-bangunan",
        "usaha", "agama", "aparatur-negara", "pembayaran", "darurat", "umum",
    }
)  # fmt: skip

NonEmpty = Field(min_length=1)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RequirementGroup(_Strict):
    """Requirements for one kind of applicant (e.g. child vs adult)."""

    applicant: str = NonEmpty
    items: list[str] = NonEmpty


class Steps(_Strict):
    """How to apply, online and at an office (either may be empty, not both)."""

    online: list[str] = []
    offline: list[str] = []


class Fee(_Strict):
    """What it costs, and the legal basis or source of that figure."""

    amount: str = NonEmpty
    basis: str = NonEmpty


class Translation(_Strict):
    """A translated title and summary."""

    title: str = NonEmpty
    summary: str = NonEmpty


class ServiceContent(_Strict):
    """One public service, after Indonesia's Standar Pelayanan (UU 25/2009, PermenPANRB 15/2014)."""

    id: str
    title: str = NonEmpty
    aliases: list[str] = []
    summary: str = NonEmpty
    provider: str = NonEmpty
    life_events: list[str] = NonEmpty
    requirements: list[RequirementGroup] = NonEmpty
    steps: Steps
    duration: str = NonEmpty
    fee: Fee
    product: str = NonEmpty
    where: list[str] = NonEmpty
    complaints: str = NonEmpty
    legal_basis: list[str] = NonEmpty
    official_url: str = Field(pattern=r"^https?://")
    example_questions: list[str] = Field(min_length=5, max_length=10)
    sms_text: str = NonEmpty
    translations: dict[str, Translation]
    owner: str = NonEmpty
    reviewed_at: date
    status: Literal["draft", "published"]
    version: int = Field(ge=1)
    review_note: str = ""

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError("must be a lower-case slug like 'ktp-el-baru'")
        return value

    @field_validator("life_events")
    @classmethod
    def _known_life_events(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - LIFE_EVENTS)
        if unknown:
            raise ValueError(f"unknown life event(s) {unknown}; known: {sorted(LIFE_EVENTS)}")
        return value

    @field_validator("sms_text")
    @classmethod
    def _fits_three_segments(cls, value: str) -> str:
        if not is_gsm7(value):
            raise ValueError("must be plain GSM-7 text (no emoji, curly quotes or accents)")
        if segments(value) > SMS_MAX_SEGMENTS:
            raise ValueError(f"takes {segments(value)} SMS segments; at most {SMS_MAX_SEGMENTS}")
        return value

    @field_validator("translations")
    @classmethod
    def _has_english(cls, value: dict[str, Translation]) -> dict[str, Translation]:
        if "en" not in value:
            raise ValueError("needs at least an English ('en') title and summary")
        return value

    @field_validator("steps")
    @classmethod
    def _some_steps(cls, value: Steps) -> Steps:
        if not (value.online or value.offline):
            raise ValueError("needs online or offline steps")
        return value

    def to_document(self) -> dict[str, Any]:
        """The entry as plain data, in the field order of the content format."""
        return self.model_dump(mode="json")


@dataclass(frozen=True)
class ContentError:
    """One problem in one content file: where, which field, what is wrong."""

    file: str
    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.problem}"


class InvalidContent(ValueError):
    """Content files with problems; ``errors`` lists every one."""

    def __init__(self, errors: list[ContentError]) -> None:
        super().__init__("\n".join(str(error) for error in errors))
        self.errors = errors


def parse(data: Any, source: str) -> ServiceContent:
    """Validate one entry's data; InvalidContent names every bad field."""
    if not isinstance(data, dict):
        raise InvalidContent([ContentError(source, "(file)", "must be a YAML mapping of the content fields")])
    try:
        return ServiceContent.model_validate(data)
    except ValidationError as error:
        raise InvalidContent(
            [
                ContentError(
                    source, ".".join(str(part) for part in problem["loc"]) or "(file)", problem["msg"]
                )
                for problem in error.errors()
            ]
        ) from error


def load_file(path: Path) -> ServiceContent:
    """Read and validate one content file; its ``id`` must equal its file name."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise InvalidContent([ContentError(path.name, "(file)", f"not valid YAML: {error}")]) from error
    content = parse(data, path.name)
    if content.id != path.stem:
        raise InvalidContent([ContentError(path.name, "id", f"'{content.id}' must equal the file name")])
    return content


def load_directory(folder: Path) -> list[ServiceContent]:
    """Every content file in ``folder``; InvalidContent lists the problems of all files at once."""
    entries, errors = [], []
    for path in sorted(folder.glob("*.yml")):
        try:
            entries.append(load_file(path))
        except InvalidContent as invalid:
            errors.extend(invalid.errors)
    if errors:
        raise InvalidContent(errors)
    return entries


def dump(content: ServiceContent) -> str:
    """The entry as a YAML content file."""
    # Python mode keeps reviewed_at a date, which YAML writes unquoted (and reads back as a date).
    return yaml.safe_dump(content.model_dump(mode="python"), sort_keys=False, allow_unicode=True, width=100)
