"""Believable Chinese names and titles, drawn from the generator's seeded random source."""

from __future__ import annotations

import random

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华"
    "建国志红玉梅海燕晓东文斌宇浩然欣怡子涵雨泽思远佳琪嘉怡博文俊杰晨曦"
)
TITLES = (
    "{org}{year}年度智慧城市试点{kind}",
    "关于报送{org}智慧城市试点{kind}的函",
    "{org}国家智慧城市试点{kind}（{year}年）",
    "{org}智慧城市创建{kind}",
)


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def document_title(rng: random.Random, org: str, kind: str, year: int) -> str:
    short = org.removesuffix("人民政府").removesuffix("管理委员会").removesuffix("行政公署")
    return rng.choice(TITLES).format(org=short, kind=kind, year=year)[:300]


def phone_change(rng: random.Random) -> tuple[str, str]:
    def phone() -> str:
        return f"0{rng.randint(10, 999)}-{rng.randint(60000000, 89999999)}"

    return phone(), phone()
