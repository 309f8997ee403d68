"""What a long message is asking: the courtesy around a question taken off, the asking part found.

Citizens write as they would to a person: "Assalamualaikum, selamat siang bapak/ibu. Saya sudah 3
bulan rekam e-KTP tapi belum jadi. Sebenarnya berapa lama? Terima kasih." The greeting and thanks
say nothing about the service, and the story around the question pulls retrieval towards whatever
it mentions in passing. Pure Python, shared by Rasa's side and the app's.
"""

from __future__ import annotations

import re

# Greetings, forms of address, "may I ask", thanks and sign-offs, in the forms citizens type them.
_COURTESY = re.compile(
    r"\b(?:"
    r"ass?alamu'?\s?alaikum(?:\s+(?:wr\.?\s*wb\.?|warahmatullahi\s+wabarakatuh))?|assalamualaikum|askum|"
    r"wa'?alaikumsalam|salam sejahtera|shalom|om swastiastu|sampurasun|rahayu|"
    r"(?:selamat|slmt|met)\s+(?:pagi|siang|sore|malam|malem)|"
    r"halo+|hallo+|hai+|hi|hello|permisi|punten|nuwun sewu|maaf(?:\s+(?:mengganggu|ganggu|sebelumnya))?|"
    r"yth\.?|yang terhormat|kepada|dengan hormat|"
    r"(?:mau|ingin|pengen|pingin|izin|ijin|boleh|bisa|numpang|sekalian|bade|badhe)\s+"
    r"(?:tanya|nanya|bertanya|naros|takon|konsultasi|info|minta info|minta informasi)"
    r"(?:\s+dong|\s+ya|\s+nih)?|"
    r"(?:mohon|minta|butuh)\s+(?:info|informasi|penjelasan|pencerahan|bantuan|bantuannya|dibantu)|"
    r"mohon\s+maaf|tolong\s+(?:dibantu|bantu)|"
    r"terima\s?kasih(?:\s+banyak)?|terimakasih|makasih|trims|tks|thx|thanks|hatur nuhun|nuhun|matur nuwun|"
    r"wassalam(?:ualaikum)?|salam|wr\.?\s*wb\.?|"
    r"admin|min|mimin|kak|kakak|gan|sis|bapak(?:/ibu)?|ibu|pak|bu|bpk|om|tante|mas|mbak|kang|teh|akang|teteh"
    r")\b[\s,.!?:;/-]*",
    re.IGNORECASE,
)
# Words that carry no topic on their own: what is left of a bare opener.
_FILLER = frozenset(
    "ya yah yaa dong deh nih sih kok loh lah kah ah eh oh nya aja saja mau ingin saya sy aku gue gw kami "
    "kita boleh bisa tanya nanya bertanya ok oke oh iya apa ada sedikit satu hal mo pengen lagi dulu juga "
    "tentang soal mengenai perihal pagi siang sore malam malem met".split()
)
_QUESTION_WORDS = re.compile(
    r"\b(?:apa|apakah|apa\s?aja|bagaimana|gimana|gmn|gmna|bgmn|kenapa|knp|mengapa|berapa|brp|kapan|kpn|"
    r"dimana|di\s?mana|dmn|kemana|ke\s?mana|kmn|siapa|bisakah|bisa\s?ga|bisa\s?gak|bisa\s?nggak|harus|"
    r"gimana\s?caranya|caranya|syarat|syaratnya|perlu|piye|kumaha|pripun|naon|kok)\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.?!\n])\s+|\s*\n+\s*")
LONG_WORDS = 15  # a message this long, of several sentences, is focused on its asking part
SHORT_QUESTION_WORDS = 5  # an asking part this short keeps the sentence before it (the topic)


def strip_courtesy(text: str) -> str:
    """``text`` without greetings, forms of address, "mau tanya", thanks and sign-offs."""
    return re.sub(r"\s+", " ", _COURTESY.sub(" ", text)).strip(" ,.!?:;-")


def is_bare_opener(text: str) -> bool:
    """Whether a message only opens a conversation ("mau tanya min", "selamat siang, boleh tanya?"):
    nothing in it names a topic, so the question is still to come."""
    if not text.strip():
        return False
    words = re.findall(r"[a-z0-9]+", strip_courtesy(text).lower())
    return all(word in _FILLER for word in words)


def focus(text: str) -> str:
    """The part of a long message that asks: its asking sentences (a question mark or a question word)
    without the courtesy around them. A short message is returned as it is: its every word may be
    the topic ("ktp ibu saya hilang")."""
    if len(text.split()) < LONG_WORDS:
        return text
    plain = strip_courtesy(text) or text
    sentences = [sentence for sentence in _SENTENCE_END.split(plain) if sentence.strip()]
    asking = [sentence for sentence in sentences if "?" in sentence or _QUESTION_WORDS.search(sentence)]
    if len(sentences) < 2 or not asking:
        return plain
    chosen = asking[-2:]  # the question usually comes last, after the story
    first = sentences.index(chosen[0])
    if len(" ".join(chosen).split()) < SHORT_QUESTION_WORDS and first > 0:
        chosen = [sentences[first - 1], *chosen]  # "Mau bikin paspor buat umroh. Syaratnya apa?"
    return " ".join(chosen)


_OWN_CASE = re.compile(
    r"\b(?:(?:sudah|sdh|udah|udh|dah|sejak|dari)\s+(?:\d+|se|satu|dua|tiga|empat|lima|enam|beberapa)\s*"
    r"(?:hari|minggu|mgg|bulan|bln|tahun|thn)|"
    r"(?:belum|blm|blom|tak kunjung|tidak kunjung|gak kunjung|ga kunjung)\s+(?:juga\s+)?"
    r"(?:jadi|keluar|cair|diproses|selesai|terbit|ada kabar|dikirim|aktif|masuk|dapat|dapet)|"
    r"(?:kenapa|knp|mengapa|kok)\s+(?:saya|sy|aku|kami|punya saya|anak saya|ibu saya)?\s*"
    r"(?:tidak|belum|ga|gak|nggak|blm|tdk)|"
    r"jadi[\s-]?jadi|jadi2|sampai sekarang|sampe sekarang|sampai saat ini|hingga kini)\b",
    re.IGNORECASE,
)


def is_own_case(text: str) -> bool:
    """Whether a question is about the asker's own application that is stuck ("sudah 3 bulan rekam
    belum jadi", "kenapa bansos saya belum cair"), not about the service in general."""
    return bool(_OWN_CASE.search(text))


def asks_something(text: str) -> bool:
    """Whether a message contains a question (a question mark or a question word)."""
    return "?" in text or bool(_QUESTION_WORDS.search(text))


# --- Complaint or question? -------------------------------------------------------------------
# The trained classifier reads long messages by their words, and real messages mix a grievance's
# words into questions ("mau tanya, air PDAM keruh boleh minta keringanan?") and a question's words
# into grievances ("KK saya 2 bulan belum terbit, mohon dibantu"). These cues decide between the two
# where the classifier's intent and the message's framing disagree (``reframe``).

# "mau tanya", "cuma nanya aturannya", "syaratnya apa": the writer says they are asking.
_SAYS_ASKING = (
    r"(?:(?:mau|ingin|pengen|pingin|izin|ijin|boleh|numpang|sekedar|sekadar|cuma|cuman|hanya|bade|badhe)\s+"
    r"(?:tanya|nanya|bertanya|naros|takon|konsultasi)|nanya\s+dong|tanya\s+dong|"
    r"(?:hanya|cuma|sekadar|sekedar)\s+(?:ingin|mau|pengen)\s+(?:tahu|tau)|pengen\s+tau|ingin\s+tahu|"
    r"mohon\s+(?:info|informasi|pencerahan)|itu\s+apa|apa\s+itu|"
    r"(?:bagaimana|gimana|gmn)\s+(?:cara|prosedur)\w*|prosedurnya|syarat(?:nya)?\s+apa)"
)
_SAYS_ASKING_RE = re.compile(rf"\b{_SAYS_ASKING}\b", re.IGNORECASE)
# ... or only asks in passing: "apakah", "bisa tidak", which a grievance uses as often ("apakah tidak
# ada petugasnya?", "bisa tidak depo itu dipindah?").
_ASKING = re.compile(
    rf"\b(?:{_SAYS_ASKING}|mohon\s+penjelasan|apakah|masih\s+ada\s+(?:ga|gak|nggak|tidak|ngga)|buat\s+apa|"
    r"untuk\s+apa|(?:boleh|bisa|perlu|wajib|harus)\s+(?:ga|gak|nggak|tidak|ngga)\b)\b",
    re.IGNORECASE,
)
# "Izin melapor", "saya ingin melaporkan": the writer says they are reporting (not a birth, a loss or
# taxes, which are services).
_SAYS_REPORTING = re.compile(
    r"\b(?:izin|ijin|mau|ingin|hendak|bermaksud|pengen)\s+(?:melapor|melaporkan|lapor|ngelapor|mengadu|ngadu|"
    r"menyampaikan\s+(?:keluhan|aduan|pengaduan))\b(?!\s+(?:kehilangan|kelahiran|kematian|pajak|spt|diri))",
    re.IGNORECASE,
)
# "di" written onto a place ("dikelurahan"): not a verb in the passive.
_JOINED_PLACE = (
    r"(?:mana|sana|sini|situ|rumah|kantor|kelurahan|kecamatan|desa|kota|kabupaten|dalam|luar|atas|bawah|"
    r"depan|belakang|samping|sebelah|dekat)"
)
# Asking for action, or telling of being let down: what makes a story a grievance.
_DEMAND = re.compile(
    r"\b(?:mohon|tolong|tlg|harap|minta|mhn)\s+(?:segera\s+|agar\s+|supaya\s+|untuk\s+|utk\s+|bgt\s+)?"
    r"(?!di(?:jelaskan|infokan|informasikan|jawab|beritahu|kasih\s+tau)\b)"
    r"(?:di(?!a\b)\w{3,}|bantu\w*|tindak\w*|perhatian\w*|solusi\w*|kejelasan|pertanggungjawaban)|"
    r"mohon\s+bantuan\w*|(?:info|informasi)\s+dan\s+bantuan\w*|minta\s+tolong|tolong\s+(?:pak|bu|min|kak|dong)|"
    r"(?:kemana|ke\s+mana)\s+(?:lagi\s+)?(?:harus\s+)?(?:mengadu|ngadu|minta\s+tolong)|"
    r"kapan\s+(?:mau\s+|akan\s+)?(?:diperbaiki|dibenerin|ditindak\w*|diangkut|dibersihkan|dibersihin|ditangani|"
    r"diperhatikan|diselesaikan|dicairkan|diproses|ditertibkan|diganti|dibuat|jadi)\w*|segera\s+di\w+|"
    r"harus\s+(?:bagaimana|gimana|gmn)(?:\s+lagi)?|(?:gimana|bagaimana)\s+(?:ini|dong|sih)\b|"
    # what is to be done, a few words after the plea: "minta saluran diperlebar", "mohon pemda bisa bantu"
    rf"(?:mohon|tolong|tlg|minta|mhn|nyuhunkeun)\s+(?:\w+\s+){{1,3}}?(?:di(?!{_JOINED_PLACE}\b)\w{{4,}}|bantu\w*|"
    r"ada\s+tindakan|tindakan|keadilan)|tolong\s+(?:cepet|cepat|segera)|\w+keun\s+geura|"
    # indignation: "kok dibiarin?", "masa masih gini", "ini bener ga sih?", "tidak adil"
    r"(?:kok|koq)\s+(?:di)?(?:biarin|biarkan|diamkan|diam\s+saja|cuek)|masa\s+(?:masih|sih|iya)|"
    r"(?:ini|itu)\s+(?:bener|benar|wajar|boleh)\s+(?:ga|gak|nggak|tidak|ngga)|"
    r"jelas\s+(?:tidak|ga|gak|nggak)\s+(?:benar|bener|adil)|(?:tidak|tak|ga|gak|nggak)\s+adil|"
    r"perlakuan\w*\s+(?:nya\s+)?(?:beda|berbeda)",
    re.IGNORECASE,
)
_LET_DOWN = re.compile(
    r"\b(?:bolak[\s-]?balik|dipingpong|diping[\s-]?pong|ping[\s-]?pong|dipersulit|berbelit|"
    r"(?:tidak|tak|ga|gak|nggak|belum)\s+(?:ada\s+)?(?:kejelasan|jawaban|tanggapan|respon|respons|tindak\s*lanjut)|"
    r"(?:tidak|tak|ga|gak|nggak|belum)\s+(?:pernah\s+)?(?:dibalas|direspon|ditanggapi|diangkat|digubris|ditindaklanjuti)|"
    r"diabaikan|dicuekin|kecewa|capek|cape\s+deh|keterlaluan|kesal|kesel|jengkel|ga\s+becus|tidak\s+becus|"
    r"dicabut|dicoret|dipotong|ditahan|dipungut|diminta\s+(?:uang|bayar)|dimintai|"
    r"tidak\s+ada\s+yang\s+(?:mau\s+)?(?:tanggung\s+jawab|peduli)|sudah\s+\d+\s*(?:x|kali)|"
    r"mengeluh|keluhan\s+saya|komplain|ga\s+gerak|tidak\s+bergerak|stuck|mandek|ga\s+bisa\s+dihubungi|"
    r"tidak\s+bisa\s+dihubungi|"
    # a problem that has lasted
    r"(?:sudah|sdh|udah|udh)\s+(?:ber(?:hari|minggu|bulan|tahun)-(?:hari|minggu|bulan|tahun)|tahunan|bulanan|"
    r"lama\s+sekali|lama\s+banget|jadi\s+pemandangan))\b|[!?]{2,}",
    re.IGNORECASE,
)
# Wrongdoing told as it happened: a grievance unless the writer asks about it ("takut ketipu, di mana
# ceknya?").
_WRONGDOING = re.compile(
    r"\b(?:salah\s+sasaran|dicairkan\s+(?:oleh\s+)?orang\s+lain|calo|pungli|oknum|ketipu|tertipu|ditipu|"
    r"diteror|neror|ngancem\w*|diancam|tanpa\s+alasan|(?:tidak|ga|gak|nggak)\s+pernah\s+(?:sampai|nyampe))\b",
    re.IGNORECASE,
)
# Thanks and praise for something put right ("lampu jalan udah nyala lagi, makasih").
_THANKING = re.compile(
    r"\b(?:terima\s?kasih|makasih|trims|hatur\s+nuhun|matur\s+nuwun|alhamdulillah)\b", re.IGNORECASE
)
_PRAISE = re.compile(
    r"\b(?:apresiasi|mengapresiasi|salut|mantap|mantul|keren|(?:menyampaikan|ucapkan|mengucapkan|ngucapin)\s+"
    r"terima\s?kasih|sangat\s+membantu|semoga\s+(?:rutin|terus|dipertahankan))\b",
    re.IGNORECASE,
)
_PUT_RIGHT = re.compile(
    r"\b(?:sudah|udah|udh|sdh|telah)\s+(?:diperbaiki|dibenerin|dibetulkan|diaspal|ditambal|nyala|menyala|"
    r"diangkut|dibersihkan|dibersihin|bersih|lancar|normal|jadi|cair|selesai|beres|ditangani|mulus|diganti)|"
    r"\bsekarang\s+(?:bagus|ramah|cepat|lancar)|\bcepat\s+(?:datang|tanggap)|"
    r"\bpelayanan\w*\s+(?:\w+\s+)?(?:sekarang\s+)?(?:bagus|ramah|cepat|baik)",
    re.IGNORECASE,
)
COMPLAINT, QUESTION, THANKS = "file_complaint", "ask_howto", "thanks"
# Intents a grievance is sometimes mistaken for; the others (opt out, cancel, yes/no, chatter) stand.
# Thanks and greetings carry "bolak-balik" or "capek" in passing, so only a demand turns them.
_MISTAKEN_FOR_OTHER = frozenset({"ask_howto", "check_status", "nlu_fallback", "inform"})
_MISTAKEN_IF_DEMANDED = frozenset({"thanks", "greet", "opt_in"})
# A grievance about something outside the catalog is often read as out of scope ("pinjol ilegal neror
# saya ..."), but chatter pleads and sighs too ("tolong bantu promosiin", "capek"): out of scope turns
# only on wrongdoing, or on a plea together with being let down.
OUT_OF_SCOPE, _STORY_WORDS = "out_of_scope", 10


def is_grievance(text: str) -> bool:
    """Whether a message asks for action or tells of being let down about its own matter: a demand
    ("mohon segera diperbaiki"), being let down ("bolak-balik 4 kali", "ga pernah dibalas", "??",
    shouting), or an own matter stuck without a question ("KTP anak saya rekam dari Februari belum
    jadi juga")."""
    demand, let_down, own = bool(_DEMAND.search(text)), bool(_LET_DOWN.search(text)), is_own_case(text)
    asking = bool(_ASKING.search(text))
    if _SAYS_REPORTING.search(text) and not _SAYS_ASKING_RE.search(text):
        return True
    if _WRONGDOING.search(text) and (demand or not asks_something(text)):
        return True
    if demand and (let_down or own or not asking):
        return True
    if let_down and (own or not asking or _shouting(text)):
        return True
    return own and not asks_something(text)


def _told_wrong(text: str) -> bool:
    return bool(_WRONGDOING.search(text)) or bool(_DEMAND.search(text) and _LET_DOWN.search(text))


def _shouting(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return len(letters) >= 20 and sum(ch.isupper() for ch in letters) / len(letters) > 0.7


def is_thanks(text: str) -> bool:
    """Whether a message thanks or praises (for something put right) without asking for more."""
    praised = bool(_PRAISE.search(text)) or bool(_THANKING.search(text) and _PUT_RIGHT.search(text))
    return praised and not is_grievance(text)


def reframe(intent: str, text: str) -> str:
    """The intent after the message's own framing: a complaint that says it only asks is a question,
    one that only thanks is thanks; a grievance read as anything else is a complaint."""
    if intent == COMPLAINT:
        if is_thanks(text):
            return THANKS
        if is_grievance(text):
            return intent
        if _SAYS_ASKING_RE.search(text) or (_ASKING.search(text) and not _LET_DOWN.search(text)):
            return QUESTION
        return intent
    if len(text.split()) < 6 or not is_grievance(text):
        return intent
    if intent in _MISTAKEN_FOR_OTHER or (intent in _MISTAKEN_IF_DEMANDED and _DEMAND.search(text)):
        return COMPLAINT
    if intent == OUT_OF_SCOPE and len(text.split()) >= _STORY_WORDS and _told_wrong(text):
        return COMPLAINT
    return intent
