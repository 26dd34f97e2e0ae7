"""The pages' words in zh-CN (the default) and English: the sentences, headings and buttons of
the command center, shared by the templates and (embedded in the page as JSON) by the scripts.
The names of things (categories, statuses, milestones, roles, clock states, the assessment's
columns) are not here: they come from the one label catalogue, `dispatch/labels.py`. A key
missing in one language is a test failure, not a blank on screen."""

from __future__ import annotations

DEFAULT = "zh-CN"
LANGUAGES = ("zh-CN", "en")

_ZH: dict[str, str] = {
    "title": "济源 311 指挥中心",
    "signin.title": "登录指挥中心", "signin.username": "用户名", "signin.password": "密码",
    "signin.submit": "登录", "signin.wrong": "用户名或密码错误",
    "signin.missing": "请输入用户名和密码",
    "signin.role": "此页面仅供指挥中心和调度员使用",
    "signout": "退出", "lang.other": "English",
    "tab.map": "地图", "tab.board": "看板", "tab.stats": "考核",
    "live.down": "实时连接中断，自", "live.up": "实时连接正常",
    "ms.done": "完成", "ms.late_done": "超时完成", "ms.pending": "剩余", "ms.overdue": "超时",
    "filter.unit": "单位", "filter.category": "类别", "filter.status": "状态",
    "filter.overdue": "仅超时", "filter.all": "全部",
    "board.case": "案件", "board.next": "下一时限", "board.units": "各单位",
    "board.empty": "暂无案件", "board.more": "按时限显示前 {shown} 件，共 {total} 件",
    "detail.title": "案件详情", "detail.timeline": "时间线", "detail.units": "责任单位",
    "detail.accepted": "接单人员", "detail.photos": "照片", "detail.checkin": "到场定位",
    "detail.radius": "签到半径", "detail.distance": "距离", "detail.close": "关闭",
    "detail.description": "描述", "detail.received": "接报时间", "detail.territory": "属地",
    "alert.overdue": "超时告警", "alert.dismiss": "知道了",
    "map.demo": "演示边界（非官方）", "map.officers": "执勤人员",
    "stats.from": "从", "stats.to": "至", "stats.load": "查询",
    "stats.too_few": "案件过少，不参与排名",
    "stats.unavailable": "考核数据暂不可用", "stats.csv": "下载 CSV", "stats.xlsx": "下载 Excel",
    "event.reported": "上报", "event.dispatched": "派发", "event.offered": "推送任务",
    "event.offer_unanswered": "无人接单", "event.accepted": "接单", "event.arrived": "到场签到",
    "event.restored": "恢复秩序", "event.resolved": "解决问题", "event.reopened": "退回重办",
    "event.deadline_near": "时限临近", "event.overdue": "超时", "event.closed": "办结",
    "event.extended": "延期",
    # The base map, on the way, totals, territory (issue 17).
    "basemap.tianditu": "底图：天地图", "basemap.amap": "底图：高德地图",
    "basemap.tencent": "底图：腾讯地图", "basemap.custom": "底图：自定义瓦片",
    "basemap.none": "无底图（演示）",
    "datum.wgs84": "坐标系 WGS-84", "datum.gcj02": "坐标系 GCJ-02（叠加已偏移）",
    "datum.cgcs2000": "坐标系 CGCS2000（≈WGS-84）",
    "unit.m": "米", "unit.km": "公里",
    "time.about": "约 ", "time.sec": "秒", "time.min": "分钟", "time.hour": "小时",
    "time.day": "天",
    "age.now": "刚刚", "age.ago": "前", "age.never": "从未定位",
    "otw.title": "在途人员", "otw.officer": "人员", "otw.eta": "预计到达", "otw.seen": "最后定位",
    "otw.no_fix": "无定位", "otw.nobody": "尚无人员接单",
    "otw.note": "距离为直线距离，到达时间按 {speed} 公里/小时估算，非实际路线",
    "layer.sites": "企业及重点项目", "site.green": "绿色通道项目",
    "site.enterprise": "企业登记地点",
    "totals.open": "未办结", "totals.unaccepted": "未接单", "totals.near": "临近超时",
    "totals.overdue": "已超时", "totals.on_site": "已到场", "totals.table": "分单位统计",
    "totals.unit": "单位", "totals.town": "乡镇（街道）", "totals.by_unit": "按单位",
    "totals.by_town": "按乡镇（街道）", "totals.csv": "导出 CSV",
    "board.empty_unit": "{unit}当前没有未办结案件",
}

_EN: dict[str, str] = {
    "title": "Jiyuan 311 command center",
    "signin.title": "Sign in to the command center", "signin.username": "Username",
    "signin.password": "Password", "signin.submit": "Sign in",
    "signin.wrong": "Unknown user or wrong password",
    "signin.missing": "Enter a username and a password",
    "signin.role": "This page is for the command center and dispatchers",
    "signout": "Sign out", "lang.other": "中文",
    "tab.map": "Map", "tab.board": "Board", "tab.stats": "Assessment",
    "live.down": "Live link down since", "live.up": "Live link up",
    "ms.done": "done", "ms.late_done": "done late", "ms.pending": "left", "ms.overdue": "overdue",
    "filter.unit": "Unit", "filter.category": "Category", "filter.status": "Status",
    "filter.overdue": "Overdue only", "filter.all": "All",
    "board.case": "Case", "board.next": "Next deadline", "board.units": "Units",
    "board.empty": "No cases", "board.more": "the first {shown} of {total} cases by deadline",
    "detail.title": "Case detail", "detail.timeline": "Timeline", "detail.units": "Units",
    "detail.accepted": "Accepted by", "detail.photos": "Photos", "detail.checkin": "Check-in fix",
    "detail.radius": "Check-in radius", "detail.distance": "Distance", "detail.close": "Close",
    "detail.description": "Description", "detail.received": "Received",
    "detail.territory": "Territory",
    "alert.overdue": "Overdue", "alert.dismiss": "Dismiss",
    "map.demo": "demo boundaries (not official)", "map.officers": "Officers",
    "stats.from": "From", "stats.to": "To", "stats.load": "Show",
    "stats.too_few": "too few cases, not ranked",
    "stats.unavailable": "The assessment is not available", "stats.csv": "Download CSV",
    "stats.xlsx": "Download Excel",
    "event.reported": "Reported", "event.dispatched": "Dispatched", "event.offered": "Task offered",
    "event.offer_unanswered": "Offer unanswered", "event.accepted": "Accepted",
    "event.arrived": "Checked in", "event.restored": "Order restored",
    "event.resolved": "Problem solved", "event.reopened": "Sent back for redo",
    "event.deadline_near": "Deadline near",
    "event.overdue": "Overdue", "event.closed": "Closed", "event.extended": "Extended",
    "basemap.tianditu": "Base map: Tianditu", "basemap.amap": "Base map: AMap",
    "basemap.tencent": "Base map: Tencent", "basemap.custom": "Base map: custom tiles",
    "basemap.none": "No base map (demo)",
    "datum.wgs84": "datum WGS-84", "datum.gcj02": "datum GCJ-02 (overlays shifted)",
    "datum.cgcs2000": "datum CGCS2000 (≈ WGS-84)",
    "unit.m": "m", "unit.km": "km",
    "time.about": "about ", "time.sec": "s", "time.min": "min", "time.hour": "h", "time.day": "d",
    "age.now": "just now", "age.ago": " ago", "age.never": "never located",
    "otw.title": "On the way", "otw.officer": "Officer", "otw.eta": "Rough time",
    "otw.seen": "Last seen", "otw.no_fix": "no position", "otw.nobody": "Nobody has accepted yet",
    "otw.note": "Straight-line distance; the time assumes {speed} km/h, not a route",
    "layer.sites": "Enterprises and projects", "site.green": "Green-channel project",
    "site.enterprise": "Enterprise site",
    "totals.open": "Open", "totals.unaccepted": "Unaccepted", "totals.near": "Near",
    "totals.overdue": "Overdue", "totals.on_site": "On site", "totals.table": "Per unit",
    "totals.unit": "Unit", "totals.town": "Town", "totals.by_unit": "Per unit",
    "totals.by_town": "Per town", "totals.csv": "Export CSV",
    "board.empty_unit": "{unit} has no open cases",
}

_CATALOGUES = {"zh-CN": _ZH, "en": _EN}


def catalogue(lang: str) -> dict[str, str]:
    return _CATALOGUES.get(lang, _ZH)
