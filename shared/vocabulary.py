"""The roster's words, defined once for hub and station: person status, labour ability, relation to the head.

The values are the national monitoring system's, as its exports carry them (DOMAIN.md §10).  Labour ability has
two groupings the policies use, and both are named here:

- ``FULL_LABOUR`` — what the policies call 劳动力 when they set it against weak labour: P6 flags a household with
  "no labour, only weak labour, or labour under a quarter of members" (000 §27, 001 §29), P7 asks a developmental
  measure of a monitored household with labour (002 §二(二)3: weak or half labour only "where conditions allow"),
  and P4 and the untransferred-labour table count these labourers.
- ``ABLE_TO_WORK`` — full labour and weak or half labour: everyone whose work the visit records and to whom the
  county recommends jobs (public-welfare posts go first to weak and half labour, 000 §9 and §26, 001 §28).
"""

from __future__ import annotations

# 人员状态
LIVING = "正常"
DECEASED = "死亡"
MOVED_OUT = "迁出"
PERSON_STATUSES = (LIVING, DECEASED, MOVED_OUT)

# 劳动技能
FULL_LABOUR = ("普通劳动力", "技能劳动力")
WEAK_LABOUR = "弱劳动力或半劳动力"
ABLE_TO_WORK = (*FULL_LABOUR, WEAK_LABOUR)
NO_LABOUR = ("丧失劳动力", "无劳动力")
LABOUR_ABILITIES = (*ABLE_TO_WORK, *NO_LABOUR)

# 与户主关系
HEAD = "户主"
RELATIONS = (HEAD, "配偶", "之子", "之女", "之父", "之母", "之孙子", "之孙女", "其他")

# Where a labourer working outside the county works: chosen from this list on the visit form, not typed with a
# pinyin keyboard (issue 14).  Short names, as grid members and the county's registers write them.
PROVINCES = ("北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽",
             "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州", "云南",
             "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆", "台湾", "香港", "澳门")
