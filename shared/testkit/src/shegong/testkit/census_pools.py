"""The synthetic city's places, names and phone blocks (:mod:`.census_city` draws from them):
Dingxi's counties and townships, China's most common surnames and full names."""

from __future__ import annotations

from shegong.registry.census.names import TRADITIONAL_TO_SIMPLIFIED

COUNTIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "安定区": (
        "621102",
        ("中华路街道", "永定路街道", "福台路街道", "凤翔镇", "内官营镇", "巉口镇", "香泉镇"),
    ),
    "通渭县": ("621121", ("平襄镇", "马营镇", "鸡川镇", "榜罗镇", "常家河镇", "陇阳镇")),
    "陇西县": ("621122", ("巩昌镇", "文峰镇", "首阳镇", "菜子镇", "福星镇", "云田镇")),
    "渭源县": ("621123", ("清源镇", "莲峰镇", "会川镇", "五竹镇", "路园镇", "北寨镇")),
    "临洮县": ("621124", ("洮阳镇", "八里铺镇", "新添镇", "辛店镇", "太石镇", "中铺镇")),
    "漳县": ("621125", ("武阳镇", "三岔镇", "盐井镇", "新寺镇", "金钟镇")),
    "岷县": ("621126", ("岷阳镇", "蒲麻镇", "西寨镇", "梅川镇", "西江镇", "十里镇")),
}
OTHER_BIRTHPLACES = ("620102", "620105", "620502", "622901", "620702", "620402", "621202")
COMMUNITY_STEMS = (  # noqa: SIM905
    "东关 西关 南关 北关 新城 和平 团结 幸福 建设 友谊 光明 红旗 "
    "解放 人民 文化 河滨 永安 安康 民主 胜利 龙泉 凤凰 东升 兴隆"
).split()
BRANDS = "红叶 润梓 阳光 暖心 同心 馨悦 仁爱 启航 善行 春晖 益民 和美 爱邻 乐龄".split()  # noqa: SIM905

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢"
    "蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟"
    "龙万段雷钱汤尹黎易常武乔贺赖龚文"
)
MALE_CHARS = "伟强军勇杰涛明超磊刚平辉鹏飞龙宇浩鑫波斌峰东亮建国庆志永胜荣贵兴文春海林华成宁锋彦"
FEMALE_CHARS = "芳娜敏静丽艳娟霞秀英兰凤玲桂梅佳丹婷雪琳颖欣怡萍燕晓慧红洁琴云莉倩蓉岚艺梦惠琪紫"
COMMON_POOL: tuple[tuple[str, str], ...] = (
    ("张伟", "male"),
    ("王伟", "male"),
    ("王芳", "female"),
    ("李伟", "male"),
    ("李娜", "female"),
    ("张敏", "female"),
    ("李静", "female"),
    ("王静", "female"),
    ("刘伟", "male"),
    ("王秀英", "female"),
    ("张丽", "female"),
    ("李秀英", "female"),
    ("王丽", "female"),
    ("张静", "female"),
    ("李强", "male"),
    ("王敏", "female"),
    ("王磊", "male"),
    ("刘洋", "male"),
    ("王勇", "male"),
    ("李军", "male"),
)
PHONE_PREFIXES = (  # noqa: SIM905
    "133 135 136 137 138 139 150 151 152 153 158 159 177 180 181 186 187 188 189"
).split()

# A name or an organisation as a clerk with a traditional-character input method writes it.
_SIMPLIFIED_TO_TRADITIONAL: dict[str, str] = {}
for _trad, _simp in TRADITIONAL_TO_SIMPLIFIED.items():
    _SIMPLIFIED_TO_TRADITIONAL.setdefault(_simp, _trad)
S2T = str.maketrans(_SIMPLIFIED_TO_TRADITIONAL)
