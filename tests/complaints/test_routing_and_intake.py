"""Routing by category and region, and reading category, place and privacy wishes from a message."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.db import Database
from complaints import intake, routing
from complaints.models import Category, Privacy
from complaints.suggest import LiveCategories


def category_id(db: Database, slug: str) -> int:
    with db.reading() as session:
        return session.scalars(select(Category.id).where(Category.slug == slug)).one()


@pytest.mark.parametrize(
    ("slug", "region", "agency_region"),
    [
        ("jalan-rusak", "32.73.07", "32.73"),  # Kota Bandung has its own roads office
        ("jalan-rusak", "32.05.01", "32"),  # Garut: the province-wide rule
        ("jalan-rusak", None, "32"),  # place unknown: province-wide
    ],
)
def test_the_most_specific_rule_for_the_region_wins(
    seeded: Database, slug: str, region: str | None, agency_region: str
) -> None:
    with seeded.reading() as session:
        agency = routing.responsible_agency(session, category_id(seeded, slug), region)

    assert agency is not None and agency.region_code == agency_region


def test_a_category_without_rules_goes_to_the_verifiers(seeded: Database) -> None:
    with seeded.reading() as session:
        assert routing.responsible_agency(session, category_id(seeded, "lainnya"), "32.73.07") is None


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("jln depan rmh bolong2 gede bgt udh 2 bln", "jalan-rusak"),
        ("lampu pju di gang kami mati udah seminggu gelap bgt", "penerangan-jalan"),
        ("sampah numpuk di tps ga diangkut2 bau bgt", "sampah"),
        ("got mampet tiap hujan air meluap ke rumah", "banjir-drainase"),
        ("ngurus ktp diminta uang 200rb sama oknum", "pungli-korupsi"),
    ],
)
def test_the_likely_category_is_suggested_from_informal_text(
    categories: LiveCategories, text: str, slug: str
) -> None:
    assert categories.suggest(text).offered[0] == slug


def test_a_district_name_is_resolved_to_its_kemendagri_code(seeded: Database) -> None:
    with seeded.reading() as session:
        assert intake.resolve_region(session, "di jl setiabudi kec. sukajadi kota bandung") == intake.Place(
            "32.73.07", "Sukajadi"
        )
        assert intake.resolve_region(session, "daerah bojong gede bogor") == intake.Place(
            "32.01.13", "Bojonggede"
        )
        assert intake.resolve_region(session, "deket rumah saya") is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        # introduced as a kelurahan, and the name is unique enough with its city
        ("got mampet di Gg. Mawar RT 03 RW 05 Kel. Cipedes, Kota Bandung", "32.73.07.1002"),
        # a street that shares a kelurahan's name, in its kecamatan: the kelurahan
        ("di jl cipedes kec. sukajadi kota bandung", "32.73.07.1002"),
        # a desa name shared by twenty desa, settled by the kecamatan beside it
        ("jembatan desa Sukamaju kec. Cibeber Cianjur putus", "32.03.03.2013"),
        # a kecamatan named after its central desa is the kecamatan
        ("banjir di kecamatan Sukaluyu Cianjur", "32.03.09"),
        # a desa name alone, shared across the province: only what is certain
        ("jalan desa Sukamaju rusak parah", None),
    ],
)
def test_a_kelurahan_or_desa_resolves_when_the_text_settles_which(
    seeded: Database, text: str, code: str | None
) -> None:
    with seeded.reading() as session:
        place = intake.resolve_region(session, text)

    assert (place.code if place else None) == code


def test_place_name_and_privacy_wishes_are_read_from_the_message() -> None:
    text = "nama saya budi santoso mau lapor jalan rusak di jl. merdeka no 5 rt 02, tolong dirahasiakan"

    assert intake.location_phrase(text) == "jl merdeka no 5 rt 02"
    assert intake.stated_name(text) == "Budi Santoso"
    assert intake.privacy_wish(text) == Privacy.RAHASIA
    assert intake.privacy_wish("lapor anonim aja") == Privacy.ANONIM


@pytest.mark.parametrize(
    ("text", "place"),
    [
        (
            "Assalamualaikum pak, jalan depan SDN 3 Cibeunying Kaler Bandung berlubang besar sudah 2 bulan",
            "depan SDN 3 Cibeunying Kaler Bandung",
        ),
        (
            "Mohon dibantu, got di Gg. Mawar RT 03/RW 05 Kel. Sukaluyu mampet, depan Indomaret air meluap",
            "Gg Mawar RT 03/RW 05 Kel Sukaluyu, depan Indomaret",
        ),
        (
            "di perumahan griya asri blok c2 no 5 kec. cileunyi air pdam mati 3 hari",
            "perumahan griya asri blok c2 no 5 kec cileunyi",
        ),
        (
            "tolong pak, PKL di trotoar jl. dago dekat simpang dago bikin macet",
            "trotoar jl dago dekat simpang dago",
        ),
        ("pohon besar di taman lansia mau tumbang, bahaya", "taman lansia"),
        ("Pak Wali, jalan Cikutra berlubang parah", "jalan Cikutra"),
        ("di jl. merdeka no. 5, rt 02 rw 3, kel. citarum, kec. bandung wetan", None),
    ],
)
def test_only_the_place_is_kept_from_a_long_complaint(text: str, place: str | None) -> None:
    expected = place or "jl merdeka no 5, rt 02 rw 3, kel citarum, kec bandung wetan"

    assert intake.location_phrase(text) == expected


@pytest.mark.parametrize(
    "text",
    ["sampah numpuk di gang kami udah seminggu", "jalan di depan rumah saya rusak", "jalan rusak parah pak"],
)
def test_a_direction_is_not_taken_for_a_place(text: str) -> None:
    assert intake.location_phrase(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "laporan saya di aplikasi belum ditindaklanjuti",
        "sudah lapor lewat sp4n lapor sebulan lalu kok belum ada kabar",
        "aduan saya di IG pemkot ga dibalas",
        "saya sudah mengadu ke pihak kecamatan tapi diam saja",
    ],
)
def test_a_report_made_elsewhere_is_recognised(text: str) -> None:
    assert intake.mentions_report_elsewhere(text)


@pytest.mark.parametrize(
    "text",
    ["jalan rusak di depan kelurahan", "lapor pak, jalan di kecamatan cibeunying rusak", "mau lapor di sini"],
)
def test_a_new_complaint_is_not_taken_for_one_made_elsewhere(text: str) -> None:
    assert not intake.mentions_report_elsewhere(text)
