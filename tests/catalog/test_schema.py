"""Content files are validated with errors that name the file, the field and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from catalog import schema
from catalog.live import CONTENT_DIR
from channels.gsm7 import segments

# The services shared/catalog/SERVICES.md requires, by id (copied here so the test needs no file
# outside the repository).
REQUIRED_SERVICES = frozenset(
    """
    ktp-el-baru ktp-el-hilang-rusak ktp-el-perubahan-data kartu-keluarga-baru kartu-keluarga-perubahan
    akta-kelahiran akta-kematian pencatatan-perkawinan-nonmuslim akta-perceraian kartu-identitas-anak
    pindah-domisili ikd-aktivasi surat-keterangan-domisili sktm bpjs-kesehatan-daftar-mandiri
    bpjs-kesehatan-pindah-faskes bpjs-kesehatan-nonaktif bpjs-kesehatan-tunggakan rujukan-rumah-sakit
    imunisasi-anak
    daftar-bansos cek-bansos pkh bpnt-sembako kartu-prakerja
    bantuan-disabilitas kartu-kuning-ak1 bpjs-ketenagakerjaan-jht kip-kuliah pip-sekolah
    pendaftaran-sekolah legalisir-ijazah ijazah-hilang beasiswa-lpdp skck
    sim-baru sim-perpanjang sim-hilang stnk-pajak-tahunan balik-nama-kendaraan
    surat-kehilangan tilang-elektronik paspor-baru paspor-perpanjang paspor-hilang-rusak
    npwp-daftar spt-tahunan pbb-bayar sertifikat-tanah balik-nama-sertifikat
    pbg nib-oss sertifikat-halal pirt kur
    nikah-kua isbat-nikah daftar-haji layanan-asn bayar-pnbp-online
    nomor-darurat mpp-digital
    """.split()
)


def valid_document() -> dict:  # type: ignore[type-arg]
    data: dict = yaml.safe_load((CONTENT_DIR / "skck.yml").read_text(encoding="utf-8"))  # type: ignore[type-arg]
    return data


def write(folder: Path, name: str, data: object) -> Path:
    path = folder / f"{name}.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_every_shipped_entry_is_valid_and_published() -> None:
    entries = schema.load_directory(CONTENT_DIR)

    assert len(entries) >= 60
    assert all(entry.status == "published" and entry.official_url.startswith("https://") for entry in entries)
    assert all(segments(entry.sms_text) <= 3 for entry in entries)


def test_the_catalog_covers_every_service_the_brief_lists() -> None:
    shipped = {path.stem for path in CONTENT_DIR.glob("*.yml")}

    assert len(REQUIRED_SERVICES) == 62
    assert REQUIRED_SERVICES - shipped == set()


def test_errors_name_each_file_field_and_problem(tmp_path: Path) -> None:
    bad_sms = valid_document() | {"id": "bad-sms", "sms_text": "Biaya ✅ gratis"}
    write(tmp_path, "bad-sms", bad_sms)
    missing = valid_document() | {"id": "no-fee"}
    del missing["fee"]
    write(tmp_path, "no-fee", missing)
    write(tmp_path, "wrong-name", valid_document())
    (tmp_path / "broken.yml").write_text("id: [unclosed", encoding="utf-8")

    with pytest.raises(schema.InvalidContent) as raised:
        schema.load_directory(tmp_path)

    found = {(error.file, error.field) for error in raised.value.errors}
    assert ("bad-sms.yml", "sms_text") in found
    assert ("no-fee.yml", "fee") in found
    assert ("wrong-name.yml", "id") in found
    assert ("broken.yml", "(file)") in found
    assert "GSM-7" in str(raised.value)


def test_an_sms_text_over_three_segments_is_refused(tmp_path: Path) -> None:
    long_sms = valid_document() | {"sms_text": "kata " * 100}
    write(tmp_path, "skck", long_sms)

    with pytest.raises(schema.InvalidContent, match=r"sms_text: .*SMS segments"):
        schema.load_directory(tmp_path)


def test_unknown_fields_and_life_events_are_refused(tmp_path: Path) -> None:
    write(tmp_path, "skck", valid_document() | {"price": "gratis", "life_events": ["hobi"]})

    with pytest.raises(schema.InvalidContent) as raised:
        schema.load_directory(tmp_path)

    fields = {error.field for error in raised.value.errors}
    assert {"price", "life_events"} <= fields
