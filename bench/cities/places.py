"""Where a generated city's people live and work: counties, townships and communities,
surnames and given names as they are spread, and the organisations that employ them."""

from __future__ import annotations

import random
from dataclasses import dataclass

# --------------------------------------------------------------------------- places

COUNTIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "安定区": (
        "621102",
        ("中华路街道", "永定路街道", "福台路街道", "凤翔镇", "内官营镇", "香泉镇"),
    ),
    "通渭县": ("621121", ("平襄镇", "马营镇", "鸡川镇", "榜罗镇", "陇阳镇")),
    "陇西县": ("621122", ("巩昌镇", "文峰镇", "首阳镇", "菜子镇", "云田镇")),
    "渭源县": ("621123", ("清源镇", "莲峰镇", "会川镇", "五竹镇")),
    "临洮县": ("621124", ("洮阳镇", "八里铺镇", "新添镇", "辛店镇", "太石镇")),
    "漳县": ("621125", ("武阳镇", "三岔镇", "盐井镇", "新寺镇")),
    "岷县": ("621126", ("岷阳镇", "蒲麻镇", "西寨镇", "梅川镇", "十里镇")),
}
AREA_CODE = "0932"  # 定西's telephone area code
OTHER_BIRTHPLACES = ("620102", "620103", "620502", "620602", "622901", "640104", "610113")
COMMUNITY_WORDS = (  # noqa: SIM905
    "东街 西街 南街 北街 新华 和平 团结 幸福 建设 友谊 光明 向阳 解放 人民 文化 "
    "滨河 永安 安康 民主 胜利 龙泉 凤凰 东升 兴隆 金山 银河 红星 柳湖 石岭 杨庄"
).split()
AGENCY_BRANDS = "红叶 润梓 阳光 暖心 同心 馨悦 仁爱 启航 善行 春晖 益民 和美 乐龄 恒爱".split()  # noqa: SIM905

# Surnames with rough national frequencies (per mille), so that collisions happen the way
# they do in a real city: 王, 李, 张 and 刘 cover a quarter of everyone.
SURNAMES: tuple[tuple[str, float], ...] = tuple(
    (s, float(w))
    for s, w in (
        ("王", 71),
        ("李", 70),
        ("张", 67),
        ("刘", 54),
        ("陈", 46),
        ("杨", 33),
        ("黄", 22),
        ("赵", 21),
        ("吴", 19),
        ("周", 18),
        ("徐", 13),
        ("孙", 12),
        ("马", 12),
        ("朱", 11),
        ("胡", 10),
        ("郭", 10),
        ("何", 9),
        ("高", 9),
        ("林", 9),
        ("罗", 8),
        ("郑", 8),
        ("梁", 7),
        ("谢", 6),
        ("宋", 6),
        ("唐", 5),
        ("许", 5),
        ("韩", 5),
        ("冯", 5),
        ("邓", 5),
        ("曹", 5),
        ("彭", 4),
        ("曾", 4),
        ("肖", 4),
        ("田", 4),
        ("董", 4),
        ("袁", 4),
        ("潘", 3),
        ("于", 3),
        ("蒋", 3),
        ("蔡", 3),
        ("余", 3),
        ("杜", 3),
        ("叶", 3),
        ("程", 3),
        ("苏", 3),
        ("魏", 3),
        ("吕", 3),
        ("丁", 3),
        ("任", 2),
        ("沈", 2),
        ("姚", 2),
        ("卢", 2),
        ("姜", 2),
        ("崔", 2),
        ("钟", 2),
        ("谭", 2),
        ("陆", 2),
        ("汪", 2),
        ("范", 2),
        ("金", 2),
        ("石", 2),
        ("廖", 2),
        ("贾", 2),
        ("夏", 2),
        ("韦", 2),
        ("付", 2),
        ("方", 2),
        ("白", 2),
        ("邹", 2),
        ("孟", 2),
        ("熊", 2),
        ("秦", 2),
        ("邱", 2),
        ("江", 2),
        ("尹", 2),
        ("薛", 1),
        ("闫", 1),
        ("段", 1),
        ("雷", 1),
        ("侯", 1),
        ("龙", 1),
        ("史", 1),
        ("陶", 1),
        ("黎", 1),
        ("贺", 1),
        ("顾", 1),
        ("毛", 1),
        ("郝", 1),
        ("龚", 1),
        ("邵", 1),
        ("万", 1),
        ("钱", 1),
        ("严", 1),
        ("覃", 1),
        ("武", 1),
        ("戴", 1),
        ("莫", 1),
        ("孔", 1),
        ("牛", 1),
        ("包", 1),
        ("漆", 1),
        ("令狐", 0.3),
        ("欧阳", 0.3),
        ("司马", 0.1),
    )
)
# Given-name characters, most frequent first (a Zipf-like draw makes 伟, 芳, 娜 common).
MALE_CHARS = "伟强军杰磊勇涛明超刚平辉鹏飞华建国文斌波宇浩鑫峰东亮志永林海成春荣兴龙庆贵锋宁彦祥德"
FEMALE_CHARS = "芳娜敏静丽艳娟霞秀英玲桂兰梅红燕萍慧琳婷雪丹晶洁颖倩琴云莉蓉欣怡佳晓凤岚梦惠琪瑶"
# Whole names that a city has by the hundred (reported as China's most common).
COMMON_NAMES: tuple[tuple[str, str], ...] = (
    ("张伟", "M"),
    ("王伟", "M"),
    ("王芳", "F"),
    ("李伟", "M"),
    ("李娜", "F"),
    ("张敏", "F"),
    ("李静", "F"),
    ("王静", "F"),
    ("刘伟", "M"),
    ("王秀英", "F"),
    ("张丽", "F"),
    ("李秀英", "F"),
    ("王丽", "F"),
    ("张静", "F"),
    ("李强", "M"),
    ("王敏", "F"),
    ("王磊", "M"),
    ("刘洋", "M"),
    ("王艳", "F"),
    ("王勇", "M"),
    ("李军", "M"),
    ("张勇", "M"),
    ("李杰", "M"),
    ("张杰", "M"),
)
# Traditional forms as a clerk's input method or an old ID card gives them.
S2T = str.maketrans(
    "刘陈杨黄赵吴张孙马罗郑谢韩冯邓许苏卢蒋贾叶钟谭陆龙万汤钱龚伟军杰涛刚辉鹏飞东国庆胜荣贵兴华宁锋"
    "静丽艳兰凤颖晓红洁云岚梦强",
    "劉陳楊黃趙吳張孫馬羅鄭謝韓馮鄧許蘇盧蔣賈葉鍾譚陸龍萬湯錢龔偉軍傑濤剛輝鵬飛東國慶勝榮貴興華寧鋒"
    "靜麗艷蘭鳳穎曉紅潔雲嵐夢強",
)
MOBILE_PREFIXES = (  # noqa: SIM905
    "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 "
    "166 173 177 180 181 182 183 185 186 187 188 189 191 198 199"
).split()
LEVELS = ("助理社会工作师", "社会工作师", "高级社会工作师")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_char(body17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(body17, _WEIGHTS, strict=True)) % 11]


# --------------------------------------------------------------------------- organisations


@dataclass(frozen=True)
class Org:
    name: str  # full registered name
    short: str  # how colleagues write it (without the county, 社工 for 社会工作 …)
    kind: str  # 单位类型
    county: str
    township: str
    community: str
    landline: str  # the office number (联系电话 on some rosters is this, for everyone)


class Places:
    """Counties, townships, communities and villages, and the organisations people work in.

    A residents' or villagers' committee employs a handful to a few dozen people, so the
    number of communities grows with the city's size (about a dozen of the city's people
    per committee; 定西 has some 1,900 villages and communities in 119 townships)."""

    def __init__(self, rng: random.Random, n_persons: int = 10_000) -> None:
        self.rng = rng
        n_townships = sum(len(t) for _, t in COUNTIES.values())
        per_township = max(6, -(-n_persons // (n_townships * 12)))
        n_agencies = min(len(AGENCY_BRANDS), max(3, n_persons // 4000))
        self.communities: dict[tuple[str, str], list[str]] = {}
        self.orgs: list[Org] = []
        lines: set[str] = set()

        def landline() -> str:
            while True:
                number = f"{AREA_CODE}-{rng.choice('2345678')}{rng.randrange(10**6):06d}"
                if number not in lines:
                    lines.add(number)
                    return number

        for county, (_, townships) in COUNTIES.items():
            short_county = county[:-1] if len(county) > 2 else county
            for township in townships:
                names = _community_names(rng, per_township)
                self.communities[(county, township)] = names
                self.orgs.append(
                    Org(
                        f"{county}{township}社会工作服务站",
                        f"{township}社工站",
                        "社工站",
                        county,
                        township,
                        rng.choice(names),
                        landline(),
                    )
                )
                for community in names:
                    suffix = "居民委员会" if community.endswith("社区") else "村民委员会"
                    self.orgs.append(
                        Org(
                            f"{township}{community}{suffix}",
                            f"{community}{suffix[:1]}委会",
                            "社区",
                            county,
                            township,
                            community,
                            landline(),
                        )
                    )
            for brand in rng.sample(AGENCY_BRANDS, n_agencies):
                township = rng.choice(townships)
                self.orgs.append(
                    Org(
                        f"{county}{brand}社会工作服务中心",
                        f"{brand}社工",
                        "社会工作服务机构",
                        county,
                        township,
                        rng.choice(self.communities[(county, township)]),
                        landline(),
                    )
                )
            for suffix, kind, short in (
                ("第一中学", "学校", f"{short_county}一中"),
                ("实验小学", "学校", f"{short_county}实小"),
                (
                    "人民医院",
                    "医院",
                    f"{short_county}县医院" if county.endswith("县") else "区医院",
                ),
                ("民政局", "其他", "民政局"),
                ("妇幼保健院", "医院", "妇保院"),
            ):
                township = townships[0]
                self.orgs.append(
                    Org(
                        f"{county}{suffix}",
                        short,
                        kind,
                        county,
                        township,
                        self.communities[(county, township)][0],
                        landline(),
                    )
                )
        self._weights = [
            4.0 if o.kind == "社区" else 3.0 if o.kind == "社工站" else 2.0 for o in self.orgs
        ]

    def draw(self, exclude: Org | None = None) -> Org:
        while True:
            org = self.rng.choices(self.orgs, weights=self._weights)[0]
            if org != exclude:
                return org


def _community_names(rng: random.Random, n: int) -> list[str]:
    """``n`` distinct names in one township: half 社区 (towns), half 村 (villages)."""
    stems = list(COMMUNITY_WORDS)
    rng.shuffle(stems)
    names: list[str] = []
    for qualifier in ("", "东", "西", "南", "北", "新", "上", "下", "前", "后", "大", "小"):
        for stem in stems:
            if len(names) == n:
                return names
            kind = "社区" if len(names) % 2 == 0 else "村"
            names.append(f"{stem}{qualifier}{kind}" if qualifier else f"{stem}{kind}")
    return names
