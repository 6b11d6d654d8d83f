"""The holdout city's people and places, written apart from the other generators (its own
geography, name model, employers and ID numbers), so that it does not share their habits.

A prefecture of nine counties; each township has a 社工站 and its communities and villages;
each county a hospital, schools, care homes, a few service agencies. Names are drawn the
way they are spread: a short head of surnames covers a third of everyone, and a few whole
names (王伟, 李娜, 张伟 …) come by the dozen, sometimes two at one employer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

COUNTIES = (  # name, 6-digit region code, township stems
    ("麒麟区", "530302", "南宁 建宁 白石江 寥廓 潇湘 三宝 越州 茨营"),
    ("沾益区", "530303", "西平 龙华 金龙 花山 白水 盘江 炎方"),
    ("马龙区", "530304", "通泉 张安屯 旧县 马过河 纳章 月望"),
    ("陆良县", "530322", "中枢 同乐 三岔河 召夸 马街 板桥 小百户"),
    ("师宗县", "530323", "丹凤 漾月 雄壁 竹基 葵山 彩云"),
    ("罗平县", "530324", "罗雄 阿岗 板桥 九龙 富乐 老厂 马街"),
    ("富源县", "530325", "中安 胜境 营上 墨红 富村 竹园 后所"),
    ("会泽县", "530326", "古城 金钟 娜姑 迤车 待补 者海 大井"),
    ("宣威市", "530381", "宛水 虹桥 双龙 板桥 来宾 羊场 田坝"),
)
ELSEWHERE = ("530102", "530111", "520102", "510107", "532301", "450102", "430104")
PLACE_WORDS = (  # noqa: SIM905
    "金沙 银杏 翠峰 玉带 石龙 清河 白塔 红旗 新村 团山 黄泥 龙潭 大坡 小河 松林 梨园 "
    "柳营 马场 桃源 青龙 凤鸣 双井 沙坝 水塘 中所 下坝 上营 东山 西冲 南屯 北坝 长坡"
).split()
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
    "苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史"
)
MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林志国建文洪海亮成"
FEMALE = "芳娜敏静丽艳娟霞燕玲桂兰英秀梅红萍琳婷雪慧颖倩琴云莉丹洁晶怡欣悦璐瑶佳蕾薇"
WHOLE = (  # noqa: SIM905 — whole names a prefecture has by the dozen
    "王伟 李娜 张伟 王芳 李静 刘洋 张敏 王磊 李强 张静 王静 李军 刘伟 王丽 张丽 陈静 "
    "李伟 王勇 张勇 杨帆 李婷 王艳 张磊 刘芳"
).split()
# Traditional forms of characters above (an old ID card, a Hong Kong input method).
S2T = str.maketrans(
    "张刘陈杨赵黄吴孙郑谢韩冯邓许苏卢蒋贾叶钟汪谭邹伟强军杰涛刚辉鹏华飞鑫宇凯俊帅龙国建洪亮"
    "丽艳娟霞兰红慧颖琴云莉洁晶悦璐蕾",
    "張劉陳楊趙黃吳孫鄭謝韓馮鄧許蘇盧蔣賈葉鍾汪譚鄒偉強軍傑濤剛輝鵬華飛鑫宇凱俊帥龍國建洪亮"
    "麗艷娟霞蘭紅慧穎琴雲莉潔晶悅璐蕾",
)
MOBILE = (  # noqa: SIM905
    "134 135 136 137 138 139 147 150 151 152 157 158 159 178 182 183 187 "
    "188 133 153 180 189 199 130 131 132 155 156 166 175 176 185 186"
).split()
LEVELS = ("助理社会工作师", "社会工作师", "高级社会工作师")
POSTS = ("社会工作岗位", "社区工作者", "其他")
_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def check_char(body: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(body, _W, strict=True)) % 11]


@dataclass(frozen=True)
class Employer:
    name: str
    short: str
    kind: str
    county: str
    township: str
    community: str
    landline: str


@dataclass
class Person:
    hid: str
    name: str
    sex: str  # 男 / 女
    birth: date
    id18: str
    phone: str
    old_phone: str
    job: Employer
    before: Employer | None
    post: str
    hired: date
    certificates: list[tuple[str, date, str]]


class Prefecture:
    def __init__(self, rng: random.Random, n_persons: int) -> None:
        self.rng = rng
        self.employers: list[Employer] = []
        self._lines: set[str] = set()
        per_town = max(4, n_persons // 500)
        for county, _, stems in COUNTIES:
            towns = [
                s + ("街道" if i < 2 and county.endswith("区") else "镇")
                for i, s in enumerate(stems.split())
            ]
            for town in towns:
                places = rng.sample(PLACE_WORDS, min(per_town, len(PLACE_WORDS)))
                places = [p + ("社区" if i % 3 == 0 else "村") for i, p in enumerate(places)]
                self._add(
                    f"{county}{town}社会工作服务站",
                    f"{town[:-1]}社工站",
                    "社工站",
                    county,
                    town,
                    places[0],
                )
                for place in places:
                    committee = "居民委员会" if place.endswith("社区") else "村民委员会"
                    self._add(
                        f"{county}{town}{place}{committee}",
                        f"{place}{committee[0]}委会",
                        "社区",
                        county,
                        town,
                        place,
                    )
            head = county[:-1] if len(county) > 2 else county
            seat, seat_place = towns[0], "城关社区"
            for full, short, kind in (
                (f"{county}人民医院", f"{head}人医", "医院"),
                (f"{county}中医医院", f"{head}中医院", "医院"),
                (f"{county}第一中学", f"{head}一中", "学校"),
                (f"{county}特殊教育学校", f"{head}特校", "学校"),
                (f"{county}社会福利院", "福利院", "其他"),
                (f"{county}光荣院", "光荣院", "其他"),
                (
                    f"{county}{rng.choice(PLACE_WORDS)}社会工作服务中心",
                    "社工中心",
                    "社会工作服务机构",
                ),
                (f"{head}{rng.choice(PLACE_WORDS)}养老服务有限公司", "养老公司", "其他"),
            ):
                self._add(full, short, kind, county, seat, seat_place)

    def _add(self, name: str, short: str, kind: str, county: str, town: str, place: str) -> None:
        while (line := f"0874-{self.rng.randrange(3000000, 8999999)}") in self._lines:
            pass
        self._lines.add(line)
        self.employers.append(Employer(name, short, kind, county, town, place, line))

    def employer(self, avoid: Employer | None = None) -> Employer:
        while (e := self.rng.choice(self.employers)) is avoid:
            pass
        return e


class Births:
    """People with unique ID numbers and mobiles; namesakes as a city has them."""

    def __init__(self, rng: random.Random, where: Prefecture, whole_share: float) -> None:
        self.rng, self.where, self.whole_share = rng, where, whole_share
        self.ids: set[str] = set()
        self.mobiles: set[str] = set()
        self.cert_nos: set[str] = set()
        self.by_name: dict[str, list[Person]] = {}
        self._surname_w = [1 / (i + 3) for i in range(len(SURNAMES))]  # 王 ≈ 9 %, 李 ≈ 7 % …

    def _name(self, sex: str) -> str:
        rng = self.rng
        if rng.random() < self.whole_share:
            female = "芳娜静丽敏艳婷"
            pool = [n for n in WHOLE if (n[-1] in female) == (sex == "女")]
            return rng.choice(pool)
        surname = rng.choices(SURNAMES, self._surname_w)[0]
        chars = FEMALE if sex == "女" else MALE
        pick = lambda: chars[min(int(rng.expovariate(0.12)), len(chars) - 1)]  # noqa: E731
        return surname + pick() + (pick() if rng.random() < 0.62 else "")

    def _mobile(self) -> str:
        while (m := self.rng.choice(MOBILE) + f"{self.rng.randrange(10**8):08d}") in self.mobiles:
            pass
        self.mobiles.add(m)
        return m

    def _id(self, birth: date, sex: str, county_code: str) -> str:
        rng = self.rng
        while True:
            region = county_code if rng.random() < 0.75 else rng.choice(ELSEWHERE)
            seq = rng.randrange(100) * 10 + int(rng.choice("13579" if sex == "男" else "02468"))
            body = f"{region}{birth:%Y%m%d}{seq:03d}"
            if (number := body + check_char(body)) not in self.ids:
                self.ids.add(number)
                return number

    def person(self, hid: str, mover_share: float) -> Person:
        rng = self.rng
        sex = "男" if rng.random() < 0.42 else "女"  # the field employs more women
        name = self._name(sex)
        birth = date(1960, 6, 1) + timedelta(days=rng.randrange(365 * 43))
        namesakes = self.by_name.get(name, [])
        if namesakes and rng.random() < 0.15:  # two 李娜 at one hospital
            job = rng.choice(namesakes).job
        else:
            job = self.where.employer()
        before = self.where.employer(job) if rng.random() < mover_share else None
        county_code = next(code for c, code, _ in COUNTIES if c == job.county)
        post = rng.choices(POSTS, (0.4, 0.5, 0.1))[0]
        start = max(date(2006, 3, 1), date(birth.year + 19, 9, 1))
        hired = start + timedelta(days=rng.randrange(max(30, (date(2025, 9, 1) - start).days)))
        certs: list[tuple[str, date, str]] = []
        when = date(max(2009, birth.year + 21), 6, 20) + timedelta(days=rng.randrange(2400))
        level = 0 if rng.random() < 0.75 else 1
        while rng.random() < (0.4 if not certs else 0.3) and when < date(2025, 11, 1):
            while (no := f"S{when.year}{rng.randrange(10**7):07d}") in self.cert_nos:
                pass
            self.cert_nos.add(no)
            certs.append((LEVELS[min(level, 2)], when, no))
            level += 1
            when += timedelta(days=rng.randrange(400, 2200))
        p = Person(
            hid,
            name,
            sex,
            birth,
            self._id(birth, sex, county_code),
            self._mobile(),
            self._mobile(),
            job,
            before,
            post,
            hired,
            certs,
        )
        self.by_name.setdefault(name, []).append(p)
        return p
