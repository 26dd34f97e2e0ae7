"""Personal data out of free text before it is published (the public disclosure and Open311's
anonymous reads). Pure: tested form by form (tests/unit/test_scrubbing.py) and over a corpus of
personal data in many spellings (tests/data/pii_corpus.json).

The text is normalized first (NFKC: full-width digits and letters, the ideographic space; any
other decimal digit made ASCII; the invisible format characters, which can split a number
unseen, removed), then, in this order:
1. e-mail addresses, also written with `(at)`, `[at]`, `#`, `艾特`, ` at `, `(dot)`, `点` → [邮箱];
2. contact handles after a label (QQ, QQ号, 微信, 微信号, WeChat, wx, vx, V信, 威信, 扣扣 …): the
   handle goes, the label stays → 微信:[账号];
3. the names on record (`Names`: every user's display name and username, every site's name and
   address), ignoring case and the spaces, dashes, dots and underscores inside them → [姓名];
4. ID-card numbers (18 characters, the last may be x or X, split by separators or not)
   → [身份证号];
5. every run of 5 or more digits, any separators (`SEPARATORS`, up to 3) between them, that is
   not a date or a time → [电话] when shaped like a phone number, else [号码]; a run with
   Chinese numerals (一三八…) from 7 of them; the public hotlines (`HOTLINES`) stay;
6. strangers' names after a label (联系人张三, 找张三, 负责人: 李四) or before a title (王经理,
   张先生, 李女士): the name goes, the label or title stays. Best effort: the free text published
   is one a commander reviewed (`dispatch.publication.review_public_text`).
Over-scrubbing is the safe side: a 5-digit sum of money goes too.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Hashable, Iterable
from functools import lru_cache
from typing import TypeAlias

NAME_MARK, EMAIL_MARK, ID_MARK, PHONE_MARK = "[姓名]", "[邮箱]", "[身份证号]", "[电话]"
NUMBER_MARK, HANDLE_MARK = "[号码]", "[账号]"
# A name on record shorter than this is not scrubbed as such (its one character would blank
# every word holding it): 2 characters when it holds a Chinese character, else 3 ("li" would
# blank "police"), counted without its inner spaces. Latin names match whole words only.
MIN_CJK_NAME, MIN_LATIN_NAME = 2, 3
MIN_DIGITS, MIN_CHINESE_NUMERALS = 5, 7
# Public service numbers, nobody's personal data: government service, consumer complaints,
# urban management, labour, environment, State Grid (power cuts).
HOTLINES = frozenset({"12345", "12315", "12319", "12333", "12369", "95598"})

_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"
                        "\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff"
                        "\uffa0\ufff9-\ufffb]")
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")  # ٣, ३, ๓ …: NFKC leaves them as they are


def normalize(text: str) -> str:
    """NFKC, every decimal digit as an ASCII one, without the invisible format characters
    (zero-width spaces, direction marks)."""
    text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text))
    return _OTHER_DIGIT.sub(lambda m: str(unicodedata.decimal(m.group())), _INVISIBLE.sub("", text))


# -- 1. e-mail addresses ---------------------------------------------------------------------
_AT = r"(?:\s*[@#]\s*|\s*艾特\s*|\s*[(\[{<]\s*at\s*[)\]}>]\s*|\s+at\s+)"
_DOT = r"(?:\s*[.。]\s*|\s*点\s*|\s*[(\[{<]\s*dot\s*[)\]}>]\s*|\s+dot\s+)"
_LOCAL, _LABEL = r"[A-Za-z0-9._%+\-]{1,64}", r"[A-Za-z0-9\-]{1,63}"
EMAIL = re.compile(_LOCAL + _AT + _LABEL + rf"(?:{_DOT}{_LABEL})*{_DOT}[A-Za-z]{{2,}}"
                   r"(?![A-Za-z0-9])", re.IGNORECASE)
EMAIL_NO_TLD = re.compile(_LOCAL + r"\s*@\s*" + _LABEL)  # zhangsan@qq
_EMAIL_HINT = re.compile(r"[@#]|艾特|at", re.IGNORECASE)  # most texts have none: skip the rest

# -- 2., 4. and 5.: handles, ID cards and numbers -----------------------------------------------
# Between the digits of one number: spaces, dots, dashes, slashes, brackets, underscores,
# middle dots, colons, tildes (NFKC has made the full-width ones ASCII). Not commas: "12:30,
# 14:00" is two times.
SEPARATORS = (" \t\r\n\f\v.-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc/\\()[]{}_"
              "\u00b7\u30fb:~")
_SEP = "[" + "".join(re.escape(c) for c in SEPARATORS) + "]"
ID_CARD = re.compile(rf"(?<![0-9])[0-9](?:{_SEP}{{0,2}}[0-9]){{16}}{_SEP}{{0,2}}[0-9Xx]"
                     r"(?![0-9A-Za-z])")
_LATIN_LABEL = r"(?<![A-Za-z])(?:qq|wechat|weixin|wei\s?xin|wx|vx|skype)(?![A-Za-z])"
_CJK_LABEL = r"(?:v\s?信|微\s?信|威信|薇信|徽信|维信|卫信|扣扣|企鹅号?|钉钉|飞书|抖音号?|[加+]\s?v)"
# The labels' first letters, found fast (no lookbehind in front): most texts have no label.
_HANDLE_HINT = re.compile(r"qq|we|wx|vx|skype|v\s?信|微|威信|薇信|徽信|维信|卫信|扣扣|"
                          r"企鹅|钉钉|飞书|抖音|[加+]\s?v", re.IGNORECASE)
HANDLE = re.compile(rf"(?P<label>{_LATIN_LABEL}|{_CJK_LABEL})"
                    r"(?P<sep>\s*(?:号码|号|账号|帐号|id)?\s*(?:[:=]|是|为)?\s*)"
                    r"(?P<handle>[A-Za-z0-9][A-Za-z0-9_\-]{2,})", re.IGNORECASE)
_NUMERALS = "〇零一二三四五六七八九幺壹贰叁肆伍陆柒捌玖"
_DIGIT = f"[0-9{_NUMERALS}]"
RUN = re.compile(rf"[+(]?{_DIGIT}(?:{_SEP}{{0,3}}{_DIGIT})*")
_TO_ARABIC = str.maketrans(_NUMERALS, "00123456789" + "1" + "123456789")
_PHONE = re.compile(r"(?:1[3-9][0-9]{9}|0[0-9]{2,3}[2-9][0-9]{6,7}|[2-9][0-9]{6,7}"
                    r"|[48]00[0-9]{7})")


def _date_pattern() -> str:
    year, month = r"(?:19|20)[0-9]{2}", r"(?:1[0-2]|0?[1-9])(?![0-9])"
    day = r"(?:3[01]|[12][0-9]|0?[1-9])(?![0-9])"
    time = r"(?:2[0-3]|[01]?[0-9]):[0-5][0-9](?::[0-5][0-9])?(?![0-9])"
    dates = "|".join(rf"{year}\s?{s}\s?{month}(?:\s?{s}\s?{day})?" for s in ("-", "/", r"\."))
    stamp = rf"(?:(?:{dates})(?:(?:T|\s+){time})?|{time})"
    return rf"{stamp}(?:\s*[-~至到]\s*{stamp})?"


# Dates (2026-12-07, 2026/12/7, 2026.12, with a time) and times (12:30, 10:00-11:00), kept
# only when no other digit is glued to them through separators.
DATE_OR_TIME = re.compile(_date_pattern())


def _glued(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - 4):start].rstrip(SEPARATORS)
    after = text[end:end + 4].lstrip(SEPARATORS)
    return bool(re.search(f"{_DIGIT}$", before) or re.match(_DIGIT, after))


def _number(m: re.Match[str]) -> str:
    run = m.group()
    digits = "".join(c for c in run if c.isdigit() or c in _NUMERALS)
    needed = MIN_CHINESE_NUMERALS if any(c in _NUMERALS for c in digits) else MIN_DIGITS
    before, after = m.string[m.start() - 1:m.start()], m.string[m.end():m.end() + 1]
    hotline = digits in HOTLINES and not any(_ascii_alnum(c) for c in before + after)
    if len(digits) < needed or hotline:
        return run
    arabic = re.sub(r"^(?:0086|86)(?=1[3-9][0-9]{9}$)", "", digits.translate(_TO_ARABIC))
    return PHONE_MARK if _PHONE.fullmatch(arabic) else NUMBER_MARK


def scrub_numbers(text: str) -> str:
    """Step 5 alone: digit runs go, isolated dates and times stay."""
    out, pos = [], 0
    for m in DATE_OR_TIME.finditer(text):
        if not _glued(text, m.start(), m.end()):
            out += [RUN.sub(_number, text[pos:m.start()]), m.group()]
            pos = m.end()
    out.append(RUN.sub(_number, text[pos:]))
    return "".join(out)


# -- 6. strangers' names ----------------------------------------------------------------------
_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶"
             "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史"
             "陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟"
             "殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游"
             "辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费"
             "卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池"
             "查麻苑迟邝于")
_COMPOUND = "欧阳|司马|司徒|诸葛|上官|东方|皇甫|令狐|慕容|尉迟|公孙|长孙|宇文|夏侯|端木|轩辕"
# Surnames that are also everyday words (和, 向, 于 …): never taken for one after a weak label
# (找, 叫, 联系) or before a one-character title (总, 姐, 哥).
_AMBIGUOUS = set("和向于时成方全应文高明常安华阳石金白万江宁尚单谷曲游管解艾农古吉简连景党"
                 "宫冷米边商沙荣桑丛查麻车路包关施项房董师龙牛马")
_FUNCTION_WORDS = set("和向于时成方全应")  # never a surname before a title or a strong label
# Characters that end a name: a name is not taken to run into them (张三电话 → 张三).
_STOP = ("电手微的在说是和与及等了到去来找请处家先女经老师主负联现已再我你他她们号打为反称表要也都"
         "就还又将把被让给对向从并或但却未不没有无会能可该这那此其之上下中内外前后里总工方面同")


def _surname(exclude: set[str]) -> str:
    return f"(?:{_COMPOUND}|[{''.join(c for c in _SURNAMES if c not in exclude)}])"


_GIVEN = rf"(?:\s?(?![{_STOP}])[\u4e00-\u9fff]){{1,2}}"  # 张三, 张 三
_LATIN_NAME = r"[A-Za-z]{2,}(?:\s[A-Za-z]{2,}){0,2}(?![A-Za-z])"
_STRONG = ("联系人|联络人|对接人|负责人|责任人|当事人|报案人|报警人|举报人|反映人|"
           "投诉人|求助人|户主|业主|房东|法定代表人|法人代表|法人|经办人|姓名|署名|名字|"
           "名叫|叫做|本人|称呼")
_WEAK = "联系|致电|电话|手机|我是|我叫|找|叫"
_LABEL_SEP = r"(?:\s*[:=]?\s*(?:是|为)?\s*)"
STRONG_LABEL = re.compile(rf"(?P<label>(?:{_STRONG}){_LABEL_SEP})"
                          rf"(?P<name>{_surname(_FUNCTION_WORDS)}{_GIVEN}|{_LATIN_NAME})")
WEAK_LABEL = re.compile(rf"(?P<label>(?:{_WEAK}){_LABEL_SEP})"
                        rf"(?P<name>{_surname(_AMBIGUOUS)}{_GIVEN})")
SURNAME_ONLY = re.compile(r"(?P<label>(?<!百)姓\s*[:=]?\s*)(?P<name>" + _surname(_FUNCTION_WORDS)
                          + ")")
_TITLES = ("经理|先生|女士|小姐|老师|师傅|主任|书记|局长|科长|处长|部长|队长|所长|站长|"
           "厂长|院长|村长|镇长|组长|主管|老板|警官|会计|工程师|律师|医生|大夫|阿姨|大爷")
TITLED = re.compile(rf"{_surname(_FUNCTION_WORDS)}(?=(?:{_TITLES}))")
# 欧阳娜娜女士, 王建国经理: a whole name before a title (not 项目经理: 项 is ambiguous).
TITLED_FULL = re.compile(rf"{_surname(_AMBIGUOUS)}{_GIVEN}(?=(?:{_TITLES}))")
LATIN_TITLED = re.compile(r"(?P<label>(?<![A-Za-z])(?:mr|mrs|ms|miss|dr)\.?\s*)"
                          r"(?P<name>[A-Za-z]{2,}(?:\s[A-Za-z]{2,})?)(?![A-Za-z])", re.IGNORECASE)
# 王总, 张姐: one-character titles, after unambiguous surnames only; 总 not in 总理, 总量 …
TITLED_SHORT = re.compile(rf"{_surname(_AMBIGUOUS)}(?=总(?![理量体数额计部结之共值监裁统线站队局"
                          r"经工规书指务])|姐|哥|叔|婶)")


def scrub_labelled_names(text: str) -> str:
    """Step 6 alone: names after a label or before a title."""
    def keep_label(m: re.Match[str]) -> str:
        return m.group("label") + NAME_MARK
    for pattern in (STRONG_LABEL, WEAK_LABEL, SURNAME_ONLY, LATIN_TITLED):
        text = pattern.sub(keep_label, text)
    for pattern in (TITLED_FULL, TITLED, TITLED_SHORT):
        text = pattern.sub(NAME_MARK, text)
    return text


# -- 3. the names on record --------------------------------------------------------------------
_GAP = re.compile(r"[\s\-_.\u00b7\u30fb\u2010\u2011]")  # ignored inside a name


def _is_gap(c: str) -> bool:
    return _GAP.match(c) is not None


def _cjk(c: str) -> bool:
    return "\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" or "\U00020000" <= c


def _ascii_alnum(c: str) -> bool:
    return c.isascii() and c.isalnum()


def name_key(name: str) -> str:
    """A name as it is matched: normalized, lower case, without its inner gaps."""
    return "".join(c.lower() if len(c.lower()) == 1 else c
                   for c in normalize(name) if not _is_gap(c))


def long_enough(key: str) -> bool:
    return len(key) >= (MIN_CJK_NAME if any(_cjk(c) for c in key) else MIN_LATIN_NAME)


# How an enterprise's or a place's name is shortened in speech: without the province, the city or
# the town before it, without the legal form after it (济源市恒通物流有限公司 → 恒通物流,
# 承留镇北海大道 66 号院 → 北海大道66号院). A shortened name must keep 3 characters: 2 could
# be any word (中原, 宏达).
_PLACE_PREFIX = re.compile(r"^(?:河南省|河南)?(?:济源市|济源)?"
                           r"(?:[\u4e00-\u9fff]{2,3}(?:镇|乡|街道))?")
_LEGAL_FORM = re.compile(r"(?:股份有限公司|有限责任公司|有限公司|集团公司|集团|公司|分公司)$")
MIN_SHORTENED = 3


@lru_cache(maxsize=65536)  # a new site recompiles the names: the others' keys are known
def name_keys(name: str) -> frozenset[str]:
    """The keys of a name (`name_key`), and of its shortened forms."""
    key = name_key(name)
    core = _LEGAL_FORM.sub("", _PLACE_PREFIX.sub("", key))
    shortened = {k for k in (_PLACE_PREFIX.sub("", key), core) if len(k) >= MIN_SHORTENED}
    return frozenset(k for k in {key, *shortened} if long_enough(k))


_Trie: TypeAlias = dict[str, "_Trie"]


def _trie_pattern(node: _Trie) -> str:
    """A trie as a regular expression: at each position only the branches of the next
    character are tried, so a thousand names cost little more than one (the `re` module tries
    the alternatives of a plain `a|b|c` one after another); longer names first."""
    parts = [re.escape(c) + _trie_pattern(child) for c, child in sorted(node.items()) if c]
    end = "" in node
    if not parts:
        return ""
    if len(parts) == 1 and not end:
        return parts[0]
    return "(?:" + "|".join(parts) + (")?" if end else ")")


class Names:
    """The names to scrub, compiled once: matched on the text without its gaps (so "Zhang San",
    "zhangsan" and "ZHANG  SAN" are one name), ignoring case; a name that starts or ends with a
    Latin letter or a digit only as a whole word."""

    def __init__(self, names: Iterable[str | None]) -> None:
        keys = sorted({k for n in names if n for k in name_keys(n)})
        trie: _Trie = {}
        for key in keys:
            node = trie
            for c in key:
                node = node.setdefault(c, {})
            node[""] = {}
        self.count = len(keys)
        self.pattern = re.compile(_trie_pattern(trie), re.IGNORECASE) if keys else None

    def sub(self, text: str) -> str:
        skeleton = _GAP.sub("", text)
        if self.pattern is None or self.pattern.search(skeleton) is None:
            return text  # the common case, found without the map back to the text
        # Where each gap would sit in the skeleton: skeleton index k is text index k plus the
        # number of gaps sitting at or before k.
        sits = [m.start() - j for j, m in enumerate(_GAP.finditer(text))]
        out, pos = [], 0
        for m in self.pattern.finditer(skeleton):
            start = m.start() + bisect_right(sits, m.start())
            end = m.end() - 1 + bisect_right(sits, m.end() - 1) + 1
            if (_ascii_alnum(text[start]) and start > 0 and _ascii_alnum(text[start - 1])) or (
                    _ascii_alnum(text[end - 1]) and end < len(text) and _ascii_alnum(text[end])):
                continue  # inside a longer word
            out += [text[pos:start], NAME_MARK]
            pos = end
        out.append(text[pos:])
        return "".join(out)


class Scrubber:
    """`scrubber(text)`: the text normalized, with the personal data of the module's list
    replaced by bracketed marks (None stays None)."""

    def __init__(self, names: Iterable[str | None] = ()) -> None:
        self.names = Names(names)

    def __call__(self, text: str | None) -> str | None:
        if text is None:
            return None
        out = normalize(text)
        if _EMAIL_HINT.search(out):
            out = EMAIL_NO_TLD.sub(EMAIL_MARK, EMAIL.sub(EMAIL_MARK, out))
        if _HANDLE_HINT.search(out):
            out = HANDLE.sub(lambda m: m.group("label") + m.group("sep") + HANDLE_MARK, out)
        out = ID_CARD.sub(ID_MARK, self.names.sub(out))
        return scrub_labelled_names(scrub_numbers(out))


@lru_cache(maxsize=16)
def scrubber_for(names: tuple[str | None, ...]) -> Scrubber:
    return Scrubber(names)


def scrub(text: str | None, names: Iterable[str | None] = ()) -> str | None:
    """`text` scrubbed of the personal data above and of `names`."""
    return scrubber_for(tuple(names))(text)


class NameBook:
    """A process's scrubber for the names on record, kept while their version holds: the
    version (the tables' counts and lengths, and the minute) is cheap to read, the names and
    the compiled pattern are not. One per `Context`, so two databases never share one."""

    def __init__(self) -> None:
        self._version: Hashable = None
        self._names: tuple[str | None, ...] = ()
        self._scrubber = Scrubber()

    def scrubber(self, version: Hashable,
                 read: Callable[[], Iterable[str | None]]) -> Scrubber:
        if version != self._version:
            names = tuple(read())
            if names != self._names:
                self._scrubber, self._names = Scrubber(names), names
            self._version = version
        return self._scrubber
