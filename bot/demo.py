"""`pacesetter demo`: the sandbox and the real bot, a scripted walk-through, a transcript.

Runs on a fresh machine with no token and no network: the sandbox Bot API server listens on
loopback, the bot talks to it over HTTP exactly as it would to Telegram.
"""

from __future__ import annotations

import asyncio
import io
import re
import sys
import tempfile
import time
import zipfile
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from zoneinfo import ZoneInfo

import docx

from bot.app import BotRunner
from bot.campaign import Section
from bot.campaign_load import DEFAULT_CAMPAIGN_PATH, load_campaign
from bot.pacing import Pace
from bot.sandbox import Sandbox, SandboxChat, SandboxUser
from bot.sandbox.files import fake_video, make_png
from bot.sandbox.world import BotMessage
from bot.settings import Secret, Settings
from messages.render import Messages

_LABELS = Messages(ZoneInfo("UTC"))
CAMPAIGN = load_campaign()
DEMO_TOKEN = "424242:DEMO-sandbox-token"
WORD_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class Cast:
    """Everything in one run that a person reads or types, in that run's language."""

    locale: str  # the bot's locale for everyone; their Telegram language_code is its lower case
    csv_header: str
    units: tuple[tuple[str, str, tuple[str, ...]], ...]  # code, name, its projects' names
    people: dict[str, str]  # part in the script → the person's name
    group: str
    says: dict[str, str]
    chapters: dict[str, str]

    def project(self, unit: int, number: int) -> dict[str, str]:
        code, _, projects = self.units[unit]
        return {"name": projects[number - 1], "code": f"{code}-P{number:02d}"}

    def answer(self, section: Section) -> str:
        return self.says["answer"].format(title=section.title.get(self.locale))

    def chapter(self, key: str) -> str:
        """A chapter's heading, naming units and stages as the bot does (the stages' names
        come from the campaign file)."""
        names = {stage.key: stage.title.get(self.locale) for stage in CAMPAIGN.stages}
        return self.chapters[key].format(fhb=self.units[0][1], rbr=self.units[1][1], **names)


def _english_projects(name: str, count: int) -> tuple[str, ...]:
    return tuple(f"{name} project {i:02d}" for i in range(1, count + 1))


# 12, 5 and 1 projects: with the campaign's 10 % rounded up, 2, 1 and 1 places.
ZH = Cast(
    locale="zh-Hans",
    csv_header="单位代码,单位名称,项目代码,项目名称",  # the import reads Chinese headers too
    units=(
        (
            "FHB-1",
            "第一航务工程有限公司",
            (
                "深中通道S08标项目党支部",
                "黄茅海跨海通道T2标项目党支部",
                "南沙港区四期工程项目党支部",
                "湛江港30万吨级航道项目党支部",
                "高栏港集装箱码头二期项目党支部",
                "广澳港区防波堤工程项目党支部",
                "徐圩港区航道工程项目党支部",
                "古雷港区5号泊位项目党支部",
                "机场三跑道填海工程项目党支部",
                "大连湾海底隧道项目党支部",
                "钦州港东航道扩建项目党支部",
                "小洋山北作业区码头项目党支部",
            ),
        ),
        (
            "RBR-2",
            "路桥建设有限公司",
            (
                "广湛高铁湛江湾跨海大桥项目党支部",
                "成渝高速扩容TJ5标项目党支部",
                "南玉高速公路项目党支部",
                "郑州四环线快速化工程项目党支部",
                "贵阳环城高速北段项目党支部",
            ),
        ),
        ("DSN-3", "设计研究院", ("南沙港铁路勘察设计项目党支部",)),
    ),
    people={
        "admin": "赵敏",
        "secretary": "陈丽",
        "lead": "李森",
        "member": "王芳",
        "lead2": "刘洋",
        "lead3": "周敏",
        "secretary2": "黄磊",
        "lead4": "马骏",
        "member2": "孙悦",
        "reviewer1": "吴刚",
        "reviewer2": "郑洁",
        "reviewer3": "钱伟",
    },
    group="S08标项目党支部工作群",
    says={
        "question": "照片在哪里上传？",
        "first": "支部现有党员32名，扎根深中通道施工一线；每周开展理论学习，隐患整改用时<24小时。",
        "more": "……并在每个施工班组设立党员先锋岗。🙂",
        "answer": "{title}：本支部情况简述。",
        "photo": "六月主题党日活动",
        "comment": "请按季度拆分经费预算。",
        "bad_amount": "每季度15000，共60000",
        "budget": "12.5万",
        "word_budget": "9.8万元",
        "others": "{name}用同样的方式填写其余各项",
        "three": "邀请，以及两份申报书的填写和提交",
        "word_file": "申报书.docx",
        "album": "集中学习新修订的《条例》，并讨论各班组的分工。",
        "lecture": "书记以“深中通道上的党旗红”为题讲专题党课，32名党员参加。",
        "site": "党员先锋岗在沉管安装现场值守，连续作业36小时。",
        "coach": "学习记录很完整；下次请写明讨论形成了哪些措施、由谁落实。",
        "reports": "三周里支部党员报告了三次活动",
        "summary_file": "创建工作总结.pdf",
        "results": "成果报告：支部获评省级文明工地；隐患整改平均用时由3天缩短到1天。",
        "reviewers_group": "评审专家群",
        "scores": "8 7 9 8 7 8 经验做法值得推广。",
        "scoring": "三位评审专家用按钮为各自的创建项目打分",
        "after_recusal": "{name}接着为另一个创建项目打分、提交",
        "writeup": "路桥支部的典型经验：把党小组建在班组上，技术攻关由党员牵头，每月复盘一次。",
        "writeup_file": "典型经验.docx",
        "writeup_title": "“三个坚持”：把支部建在项目上",
        "writeup_body": "坚持党建与施工同谋划；坚持党员先锋岗上一线；坚持每季度复盘、推广。",
        "video_link": "https://v.qq.com/x/page/s0853demo.html",
        "corrections": "篇章稿中的党员人数应为28名，请更正。",
        "video_file": "标杆创建微视频.mp4",
        "closings": "机器人按日程向活动管理员和单位党组织书记发出前三个阶段的截止报告",
    },
    chapters={
        "import": "活动管理员导入单位和项目",
        "secretary": "活动管理员邀请单位党组织书记（点按钮）",
        "lead": "单位党组织书记邀请支部书记（申报联系人），支部书记邀请支部党员",
        "bind": "关联项目群",
        "help": "每个人都知道自己能做什么",
        "apply": "第一阶段（{apply}）：支部书记（申报联系人）逐项填写申报书",
        "more": "{fhb}另有两个项目申报；{rbr}有了单位党组织书记和支部书记（申报联系人）",
        "word": "{fhb}的第三个申报项目用 Word 填写申报书：下载模板，填好发回",
        "quota": "{fhb}在名额内推荐：12个项目，按10%的比例向上取整，名额为2个",
        "return": "{rbr}附意见退回申报书，支部书记修改后重新提交",
        "decide": "活动管理员在总览中确定创建项目",
        "cultivate": "第二阶段（{cultivate}）：支部党员用手机报告活动（照片可选），卡片发到项目群",
        "highlight": "单位党组织书记把一次活动选为亮点，并给支部书记写指导意见",
        "progress": "进展视图：支部书记、单位党组织书记、活动管理员（只列事实，不排名）",
        "final": "第三阶段（{assess}）：支部书记（申报联系人）提交创建工作总结和成果报告",
        "reviewers": "活动管理员邀请评审专家；{fhb}的单位党组织书记也是评审专家",
        "assign": "分配评审：每个创建项目都有评审专家，本单位的人不评本单位的项目",
        "score": "评审专家在手机上按六项指标打分：点按钮，不用打字",
        "typed": "这位单位党组织书记用 /score 一条消息提交评分",
        "recuse": "一位评审专家申请回避，活动管理员收到通知",
        "change": "截止前修改已提交的评分（留有记录）",
        "vote": "评审专家群里的快速投票：只显示票数，不显示姓名",
        "reviewed": "活动管理员查看评审进展",
        "ranking": "活动管理员查看排名：原始分与校准分并列，评审意见分歧被标记；两种图表保存为文件",
        "select": "优中选优：活动管理员确定标杆，相关人员和群各收到一次通知（不含分数）",
        "consolidate": "第四阶段（{consolidate}）：标杆的支部书记提交典型经验和标杆创建微视频",
        "booklet": "活动管理员生成创建成果集，各标杆的篇章稿发给支部书记",
        "corrections": "{rbr}的支部书记打开篇章稿，提出修改意见，活动管理员收到",
        "rebuild": "重新生成创建成果集；两位支部书记审定篇章稿，标杆成果材料齐全",
        "export": "活动管理员用 /export 导出全部单位的 Excel 文件",
        "closing": "{consolidate}截止：活动管理员收到最终报告",
        "outputs": "创建成果集、Excel 文件和评分图表保存在一个文件夹",
    },
)

HANT = Cast(
    locale="zh-Hant",
    csv_header="單位代碼,單位名稱,項目代碼,項目名稱",  # the import reads Chinese headers too
    units=(
        (
            "FHB-1",
            "第一航務工程有限公司",
            (
                "深中通道S08標項目黨支部",
                "黃茅海跨海通道T2標項目黨支部",
                "南沙港區四期工程項目黨支部",
                "湛江港30萬噸級航道項目黨支部",
                "高欄港集裝箱碼頭二期項目黨支部",
                "廣澳港區防波堤工程項目黨支部",
                "徐圩港區航道工程項目黨支部",
                "古雷港區5號泊位項目黨支部",
                "機場三跑道填海工程項目黨支部",
                "大連灣海底隧道項目黨支部",
                "欽州港東航道擴建項目黨支部",
                "小洋山北作業區碼頭項目黨支部",
            ),
        ),
        (
            "RBR-2",
            "路橋建設有限公司",
            (
                "廣湛高鐵湛江灣跨海大橋項目黨支部",
                "成渝高速擴容TJ5標項目黨支部",
                "南玉高速公路項目黨支部",
                "鄭州四環線快速化工程項目黨支部",
                "貴陽環城高速北段項目黨支部",
            ),
        ),
        ("DSN-3", "設計研究院", ("南沙港鐵路勘察設計項目黨支部",)),
    ),
    people={
        "admin": "趙敏",
        "secretary": "陳麗",
        "lead": "李森",
        "member": "王芳",
        "lead2": "劉洋",
        "lead3": "周敏",
        "secretary2": "黃磊",
        "lead4": "馬駿",
        "member2": "孫悅",
        "reviewer1": "吳剛",
        "reviewer2": "鄭潔",
        "reviewer3": "錢偉",
    },
    group="S08標項目黨支部工作群",
    says={
        "question": "照片在哪裡上傳？",
        "first": "支部現有黨員32名，紮根深中通道施工一線；每週開展理論學習，隱患整改用時<24小時。",
        "more": "……並在每個施工班組設立黨員先鋒崗。🙂",
        "answer": "{title}：本支部情況簡述。",
        "photo": "六月主題黨日活動",
        "comment": "請按季度拆分經費預算。",
        "bad_amount": "每季度15000，共60000",
        "budget": "12.5萬",
        "word_budget": "9.8萬元",
        "others": "{name}用同樣的方式填寫其餘各項",
        "three": "邀請，以及兩份申報書的填寫和提交",
        "word_file": "申報書.docx",
        "album": "集中學習新修訂的《條例》，並討論各班組的分工。",
        "lecture": "書記以「深中通道上的黨旗紅」為題講專題黨課，32名黨員參加。",
        "site": "黨員先鋒崗在沉管安裝現場值守，連續作業36小時。",
        "coach": "學習記錄很完整；下次請寫明討論形成了哪些措施、由誰落實。",
        "reports": "三週裡支部黨員報告了三次活動",
        "summary_file": "創建工作總結.pdf",
        "results": "成果報告：支部獲評省級文明工地；隱患整改平均用時由3天縮短到1天。",
        "reviewers_group": "評審專家群",
        "scores": "8 7 9 8 7 8 經驗做法值得推廣。",
        "scoring": "三位評審專家用按鈕為各自的創建項目打分",
        "after_recusal": "{name}接著為另一個創建項目打分、提交",
        "writeup": "路橋支部的典型經驗：把黨小組建在班組上，技術攻關由黨員牽頭，每月覆盤一次。",
        "writeup_file": "典型經驗.docx",
        "writeup_title": "「三個堅持」：把支部建在項目上",
        "writeup_body": "堅持黨建與施工同謀劃；堅持黨員先鋒崗上一線；堅持每季度覆盤、推廣。",
        "video_link": "https://v.qq.com/x/page/s0853demo.html",
        "corrections": "篇章稿中的黨員人數應為28名，請更正。",
        "video_file": "標桿創建微視頻.mp4",
        "closings": "機器人按日程向活動管理員和單位黨組織書記發出前三個階段的截止報告",
    },
    chapters={
        "import": "活動管理員導入單位和項目",
        "secretary": "活動管理員邀請單位黨組織書記（點按鈕）",
        "lead": "單位黨組織書記邀請支部書記（申報聯繫人），支部書記邀請支部黨員",
        "bind": "關聯項目群",
        "help": "每個人都知道自己能做什麼",
        "apply": "第一階段（{apply}）：支部書記（申報聯繫人）逐項填寫申報書",
        "more": "{fhb}另有兩個項目申報；{rbr}有了單位黨組織書記和支部書記（申報聯繫人）",
        "word": "{fhb}的第三個申報項目用 Word 填寫申報書：下載模板，填好發回",
        "quota": "{fhb}在名額內推薦：12個項目，按10%的比例向上取整，名額為2個",
        "return": "{rbr}附意見退回申報書，支部書記修改後重新提交",
        "decide": "活動管理員在總覽中確定創建項目",
        "cultivate": "第二階段（{cultivate}）：支部黨員用手機報告活動（照片可選），卡片發到項目群",
        "highlight": "單位黨組織書記把一次活動選為亮點，並給支部書記寫指導意見",
        "progress": "進展視圖：支部書記、單位黨組織書記、活動管理員（只列事實，不排名）",
        "final": "第三階段（{assess}）：支部書記（申報聯繫人）提交創建工作總結和成果報告",
        "reviewers": "活動管理員邀請評審專家；{fhb}的單位黨組織書記也是評審專家",
        "assign": "分配評審：每個創建項目都有評審專家，本單位的人不評本單位的項目",
        "score": "評審專家在手機上按六項指標打分：點按鈕，不用打字",
        "typed": "這位單位黨組織書記用 /score 一條消息提交評分",
        "recuse": "一位評審專家申請迴避，活動管理員收到通知",
        "change": "截止前修改已提交的評分（留有記錄）",
        "vote": "評審專家群裡的快速投票：只顯示票數，不顯示姓名",
        "reviewed": "活動管理員查看評審進展",
        "ranking": "活動管理員查看排名：原始分與校準分並列，評審意見分歧被標記；兩種圖表保存為文件",
        "select": "優中選優：活動管理員確定標桿，相關人員和群各收到一次通知（不含分數）",
        "consolidate": "第四階段（{consolidate}）：標桿的支部書記提交典型經驗和標桿創建微視頻",
        "booklet": "活動管理員生成創建成果集，各標桿的篇章稿發給支部書記",
        "corrections": "{rbr}的支部書記打開篇章稿，提出修改意見，活動管理員收到",
        "rebuild": "重新生成創建成果集；兩位支部書記審定篇章稿，標桿成果材料齊全",
        "export": "活動管理員用 /export 導出全部單位的 Excel 文件",
        "closing": "{consolidate}截止：活動管理員收到最終報告",
        "outputs": "創建成果集、Excel 文件和評分圖表保存在一個文件夾",
    },
)

EN = Cast(
    locale="en",
    csv_header="unit_code,unit_name,project_code,project_name",
    units=(
        ("FHB-1", "First Harbour Engineering Co.", _english_projects("First Harbour", 12)),
        ("RBR-2", "Road & Bridge Co.", _english_projects("Road & Bridge", 5)),
        ("DSN-3", "Design Institute", _english_projects("Design Institute", 1)),
    ),
    people={
        "admin": "Zhao Min",
        "secretary": "Chen Li",
        "lead": "Sam Lee",
        "member": "Wang Fang",
        "lead2": "Liu Yang",
        "lead3": "Zhou Min",
        "secretary2": "Huang Lei",
        "lead4": "Ma Jun",
        "member2": "Sun Yue",
        "reviewer1": "Wu Gang",
        "reviewer2": "Zheng Jie",
        "reviewer3": "Qian Wei",
    },
    group="FHB-1 P01 branch",
    says={
        "question": "where do I upload photos?",
        "first": "Foundation: a 32-member branch on the harbour site; <weekly> study & talks.",
        "more": "…and a Party members' vanguard post on every shift. 🙂",
        "answer": "{title}: what our branch did, in brief.",
        "photo": "Themed Party day, June",
        "comment": "Please split the budget by quarter.",
        "bad_amount": "15000 per quarter: 60000",
        "budget": "12.5万",
        "word_budget": "9.8万元",
        "others": "{name} answers the other sections the same way",
        "three": "invitations, and two applications written and submitted",
        "word_file": "application.docx",
        "album": "We studied the revised regulations together & shared out the tasks by shift.",
        "lecture": "The secretary gave a Party lecture on the flag over the harbour; 32 attended.",
        "site": "The vanguard post kept watch at the caisson placing for 36 hours straight.",
        "coach": "A good record of the study; next time say what was decided and who follows up.",
        "reports": "three activities reported over three weeks",
        "summary_file": "work-summary.pdf",
        "results": "Results: a provincial model site; hazards now fixed in 1 day, not 3.",
        "reviewers_group": "Reviewers",
        "scores": "8 7 9 8 7 8 Replicable; worth spreading across the group.",
        "scoring": "three reviewers score their candidates by buttons",
        "after_recusal": "{name} then scores the other candidate and submits",
        "writeup": "Our experience: a Party group in every crew; members lead the technical work.",
        "writeup_file": "typical-experience.docx",
        "writeup_title": "Three commitments: the branch on the project",
        "writeup_body": "Party work planned with the works; vanguard posts; quarterly reviews.",
        "video_link": "https://v.qq.com/x/page/s0853demo.html",
        "corrections": "The chapter says 32 members; it should say 28, please.",
        "video_file": "micro-video.mp4",
        "closings": "the first three stages' closing reports, sent on the bot's schedule",
    },
    chapters={
        "import": "The campaign admin imports the units and projects",
        "secretary": "The campaign admin invites a unit secretary (buttons)",
        "lead": "The secretary invites a project lead, who invites a branch member",
        "bind": "The project's group chat is bound",
        "help": "Everyone knows where they stand",
        "apply": "Stage 1, {apply}: a project lead writes the application, section by section",
        "more": "Two more {fhb} projects apply; {rbr} gets a secretary and a lead",
        "word": "A third {fhb} project writes its application in Word: the form, filled, sent back",
        "quota": "{fhb} nominates within its quota: 12 projects, 10% rounded up = 2 places",
        "return": "{rbr} returns its application with a comment; the lead revises it",
        "decide": "The campaign admin decides from the overview",
        "cultivate": "Stage 2, {cultivate}: members report activities from their phones",
        "highlight": "The secretary picks a highlight and coaches the project's lead",
        "progress": "Progress, for the lead, the secretary and the admin (facts, no ranking)",
        "final": "Stage 3, {assess}: the lead hands in the work summary and the results report",
        "reviewers": "The campaign admin invites reviewers; {fhb}'s secretary is one too",
        "assign": "Assignment: every candidate gets reviewers, never from its own unit",
        "score": "A reviewer scores six criteria on the phone: buttons, no typing",
        "typed": "That secretary submits scores in one message with /score",
        "recuse": "A reviewer recuses; the admins are told",
        "change": "A submitted score is changed before the deadline (and recorded)",
        "vote": "The quick vote in the reviewers' chat: counts, never names",
        "reviewed": "The campaign admin follows the reviews' progress",
        "ranking": "The ranking: raw and calibrated side by side, a flag; the charts saved",
        "select": "The best among the best: the pacesetters selected, everyone concerned told once",
        "consolidate": "Stage 4, {consolidate}: the pacesetters' leads hand in the deliverables",
        "booklet": "The campaign admin builds the results booklet; each lead gets a draft",
        "corrections": "{rbr}'s lead opens the chapter's draft and sends the admins corrections",
        "rebuild": "The booklet built again; both leads approve their chapters: all handed in",
        "export": "The campaign admin exports every unit to Excel with /export",
        "closing": "{consolidate} closes: the admins get the final report",
        "outputs": "The results booklet, the Excel export and the charts, in one folder",
    },
)
CASTS = {cast.locale: cast for cast in (ZH, HANT, EN)}


def _campaign_in(locale: str, scratch: Path) -> Path:
    """The built-in campaign, speaking the run's language in the group chats, with the quick
    group vote of the assessment on (it is off by default)."""
    text = DEFAULT_CAMPAIGN_PATH.read_text(encoding="utf-8")
    for old, new in (
        (f'default_locale = "{CAMPAIGN.default_locale}"', f'default_locale = "{locale}"'),
        ("\nvote = false ", "\nvote = true  "),
    ):
        if old not in text:
            raise RuntimeError(f"the built-in campaign has no {old.strip()!r}")
        text = text.replace(old, new)
    path = scratch / "campaign.toml"
    path.write_text(text, encoding="utf-8")
    return path


def demo_csv(cast: Cast) -> bytes:
    lines = [cast.csv_header]
    for code, name, projects in cast.units:
        lines += [
            f"{code},{name},{code}-P{i:02d},{project}" for i, project in enumerate(projects, 1)
        ]
    return ("\n".join(lines) + "\n").encode()


def label(locale: str, key: str, **values: str) -> str:
    """What a button says to a person reading that locale (the demo taps like a person)."""
    return _LABELS.label(locale, key, **values)


def _link(user: SandboxUser) -> str:
    match = re.search(r"start=(inv_[A-Za-z0-9_-]+)", user.last_reply.text)
    if not match:
        raise RuntimeError(f"no invitation link in: {user.last_reply.text}")
    return match.group(1)


class Chapters:
    """Headings between transcript lines, and long repetitive stretches told in one line."""

    def __init__(self, sb: Sandbox, cast: Cast) -> None:
        self.sb = sb
        self.cast = cast
        # (start, end, what replaces those transcript lines), in the order they were made.
        self.edits: list[tuple[int, int, list[str]]] = []

    def __call__(self, key: str) -> None:
        at = len(self.sb.transcript())
        self.edits.append((at, at, ["", f"== {self.cast.chapter(key)} =="]))

    @contextmanager
    def summarised(self, summary: str) -> Iterator[None]:
        start = len(self.sb.transcript())
        yield
        self.edits.append((start, len(self.sb.transcript()), [f"   … {summary}"]))

    def note(self, *lines: str) -> None:
        """Lines in the transcript for something done outside the chat (files written)."""
        at = len(self.sb.transcript())
        self.edits.append((at, at, [f"   📁 {line}" for line in lines]))

    def lines(self) -> list[str]:
        lines = self.sb.transcript()
        # Applied from the end: of two at one place, the later made goes in first, so it
        # comes out second (a chapter's last note before the next chapter's heading).
        ordered = sorted(enumerate(self.edits), key=lambda e: (e[1][0], e[1][1], e[0]))
        for _, (start, end, replacement) in reversed(ordered):
            lines[start:end] = replacement
        return lines


class Clock:
    """The campaign's calendar as the demo moves it on: weeks pass between reports."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.woken: Callable[[], None] = lambda: None  # the bot's outbox, told to look again

    def __call__(self) -> datetime:
        return self.now

    def assessment_day(self, day: int) -> None:
        """10:00 on day `day` of the assessment, in the campaign's time zone."""
        self._ten_on("assess", day)

    def consolidation_day(self, day: int) -> None:
        """10:00 on day `day` of the consolidation, in the campaign's time zone."""
        self._ten_on("consolidate", day)

    def _ten_on(self, stage: str, day: int) -> None:
        tz = CAMPAIGN.timezone
        opened = CAMPAIGN.stage(stage).opens.astimezone(tz).date() + timedelta(days=day)
        self.now = datetime.combine(opened, dt_time(10), tz)

    def past_deadline(self, stage: str) -> None:
        """A minute after the stage's deadline: its closing is due."""
        self.now = CAMPAIGN.stage(stage).deadline + timedelta(minutes=1)
        self.woken()

    def later(self, **delta: float) -> None:
        """A few seconds on: what the bot holds back until then (a vote card's next edit)
        becomes due."""
        self.now += timedelta(**delta)
        self.woken()

    def cultivation_week(self, week: int) -> None:
        """10:00 on the first day of week `week` of cultivation, in the campaign's time zone."""
        tz = CAMPAIGN.timezone
        day = CAMPAIGN.stage("cultivate").opens.astimezone(tz).date() + timedelta(weeks=week)
        self.now = datetime.combine(day, dt_time(10), tz)


@dataclass(frozen=True)
class Team:
    """The people of the first candidate project, and those who follow it."""

    admin: SandboxUser
    secretary: SandboxUser
    lead: SandboxUser
    member: SandboxUser
    other_lead: SandboxUser  # the second unit's candidate's, a pacesetter too


async def play(
    sb: Sandbox,
    cast: Cast,
    admin: SandboxUser,
    chapter: Chapters,
    clock: Clock,
    outside: Outside,
) -> None:
    locale, names = cast.locale, cast.people
    chapter("import")
    await admin.send("/start")
    await admin.send("/import")
    await admin.send_document(demo_csv(cast), filename="units.csv", mime_type="text/csv")

    chapter("secretary")
    await admin.send("/invite")
    await admin.tap(label(locale, "role_secretary"))
    code, unit_name, _ = cast.units[0]
    await admin.tap(label(locale, "choice", name=unit_name, code=code))
    secretary = sb.user(names["secretary"], language_code=locale.lower(), username="chenli")
    await secretary.send(f"/start {_link(admin)}")

    chapter("lead")
    await secretary.send("/invite")
    await secretary.tap(label(locale, "role_lead"))
    first_project = cast.project(0, 1)
    await secretary.tap(label(locale, "choice", **first_project))
    lead = sb.user(names["lead"], language_code=locale.lower(), username="samlee")
    await lead.send(f"/start {_link(secretary)}")
    await lead.send(f"/invite member {first_project['code']}")
    member = sb.user(names["member"], language_code=locale.lower())
    await member.send(f"/start {_link(lead)}")

    chapter("bind")
    group = sb.group(cast.group, creator=secretary, members=[lead, member])
    await sb.add_bot(group, by=secretary)
    await secretary.send("/bind", chat=group)
    await secretary.tap(label(locale, "choice", **first_project), message=sb.messages(group)[-1])

    chapter("help")
    await member.send("/help")
    await lead.send("/whoami")
    await member.send(cast.says["question"])
    other_lead = await play_stage_one(sb, cast, admin, secretary, lead, chapter)
    team = Team(admin, secretary, lead, member, other_lead)
    await play_stage_two(sb, cast, team, group, chapter, clock)
    await play_stage_three(sb, cast, team, chapter, clock, outside.save_charts)
    await play_stage_four(sb, cast, team, chapter, clock, outside)


async def write_application(cast: Cast, lead: SandboxUser, budget: str) -> None:
    """Every section answered the quick way: a message and Done; the budget; no attachments."""
    await lead.send("/apply")
    for section in CAMPAIGN.sections:
        if section.kind == "text":
            await lead.send(cast.answer(section))
            await lead.tap(label(cast.locale, "done"))
        elif section.kind == "number":
            await lead.send(budget)
        else:
            await lead.tap(label(cast.locale, "skip"))
    await lead.tap(label(cast.locale, "submit"))


async def write_in_word(sb: Sandbox, cast: Cast, lead: SandboxUser, budget: str) -> None:
    """The application in Word: the bot's form, an answer typed under each heading and a
    photo pasted in, sent back; then submitted from the preview."""
    await lead.send("/apply")
    await lead.tap(label(cast.locale, "word_form"))
    document = docx.Document(io.BytesIO(sb.file_bytes(lead.last_reply.file_id)))
    headings = [p for p in document.paragraphs if p.style.name == "Heading 1"]
    for section, heading in zip(CAMPAIGN.sections, headings, strict=True):
        if section.kind == "files":
            heading.insert_paragraph_before()  # the photo goes at the end, under it
            document.add_picture(io.BytesIO(make_png(64, 48)))
            continue
        answer = budget if section.kind == "number" else cast.answer(section)
        # Typed on the line after the heading: before the heading that follows it.
        following = heading._p.getnext()
        following.addprevious(document.add_paragraph(answer)._p)
    filled = io.BytesIO()
    document.save(filled)
    await lead.send_document(filled.getvalue(), cast.says["word_file"], WORD_TYPE)
    await lead.tap(label(cast.locale, "submit"))


async def join(sb: Sandbox, cast: Cast, inviter: SandboxUser, part: str, args: str):
    await inviter.send(f"/invite {args}")
    person = sb.user(cast.people[part], language_code=cast.locale.lower())
    await person.send(f"/start {_link(inviter)}")
    return person


def item(locale: str, project: str, status: str) -> str:
    """The button a secretary taps for an application in the /nominations list."""
    return label(locale, "application_item", name=project, status=label(locale, f"status_{status}"))


async def tap_project(user: SandboxUser, project: str) -> None:
    """Taps the button that names a project in the bot's latest list to this person."""
    for message in reversed(user.replies()):
        texts = [text for row in message.buttons for text, _ in row]
        named = [text for text in texts if text == project] or [t for t in texts if project in t]
        if named:
            await user.tap(named[0], message=message)
            return
    raise RuntimeError(f"no button names {project!r} for {user.first_name}")


async def play_stage_one(
    sb: Sandbox,
    cast: Cast,
    admin: SandboxUser,
    secretary: SandboxUser,
    lead: SandboxUser,
    chapter: Chapters,
) -> SandboxUser:
    """Applications written, nominated, returned and accepted; the other candidate's lead."""
    locale, says = cast.locale, cast.says
    fhb, rbr = cast.units[0][0], cast.units[1][0]
    chapter("apply")
    await lead.send("/apply")
    await lead.send(says["first"])
    await lead.send(says["more"])
    await lead.tap(label(locale, "done"))
    await lead.tap(label(locale, "save_exit"))
    await lead.send("/apply")  # days later: back where they were
    with chapter.summarised(says["others"].format(name=lead.first_name)):
        for section in CAMPAIGN.sections[1:]:
            if section.kind == "text":
                await lead.send(cast.answer(section))
                await lead.tap(label(locale, "done"))
            elif section.kind == "number":
                await lead.send(says["budget"])
    await lead.send_photo(caption=says["photo"])
    await lead.tap(label(locale, "done"))
    await lead.tap(label(locale, "submit"))

    chapter("more")
    with chapter.summarised(says["three"]):
        liu = await join(sb, cast, secretary, "lead2", f"lead {fhb}-P02")
        zhou = await join(sb, cast, secretary, "lead3", f"lead {fhb}-P03")
        await write_application(cast, liu, "80000")
        rbr_secretary = await join(sb, cast, admin, "secretary2", f"secretary {rbr}")
        rbr_lead = await join(sb, cast, rbr_secretary, "lead4", f"lead {rbr}-P01")
        await write_application(cast, rbr_lead, "60,000 元")

    chapter("word")
    await write_in_word(sb, cast, zhou, says["word_budget"])

    chapter("quota")
    await secretary.send("/nominations")
    await secretary.tap(item(locale, cast.project(0, 1)["name"], "submitted"))
    await secretary.tap(label(locale, "nominate"))
    for number in (2, 3):  # on through the card's ▶ Next
        await secretary.tap(label(locale, "next_item", name=cast.project(0, number)["name"]))
        await secretary.tap(label(locale, "nominate"))

    chapter("return")
    returned = cast.project(1, 1)["name"]
    await rbr_secretary.send("/nominations")
    await rbr_secretary.tap(item(locale, returned, "submitted"))
    await rbr_secretary.tap(label(locale, "return"))
    await rbr_secretary.send(says["comment"])
    await rbr_lead.send("/apply")
    await rbr_lead.tap(label(locale, "edit_section", number="10"))
    await rbr_lead.send(says["bad_amount"])
    await rbr_lead.send("60000")
    await rbr_lead.tap(label(locale, "submit"))
    await rbr_secretary.send("/nominations")
    await rbr_secretary.tap(item(locale, returned, "submitted"))
    await rbr_secretary.tap(label(locale, "nominate"))

    chapter("decide")
    for project in (cast.project(0, 1)["name"], returned):
        await admin.send("/applications")
        await tap_project(admin, project)
        await admin.tap(label(locale, "accept"))
        await admin.tap(label(locale, "accept_yes"))
    await admin.send("/applications")
    return rbr_lead


def activity(locale: str, key: str) -> str:
    return CAMPAIGN.activity(key).title.get(locale)


async def play_stage_two(
    sb: Sandbox,
    cast: Cast,
    team: Team,
    group: SandboxChat,
    chapter: Chapters,
    clock: Clock,
) -> None:
    """Weeks of reports (an album, a typed one, a single photo) from three people; a
    highlight and a coaching comment; then where the candidate stands, for each role."""
    locale, says = cast.locale, cast.says
    project = cast.project(0, 1)
    chapter("cultivate")
    clock.cultivation_week(2)
    await team.member.send_media_group([("photo", None)] * 3, caption=says["album"])
    await sb.settle()  # the album is answered once it is complete
    for tapped in (
        label(locale, "report_it"),
        activity(locale, "study"),
        label(locale, "day_yesterday"),
        "20",
        label(locale, "report_save"),
    ):
        await team.member.tap(tapped)
    with chapter.summarised(says["reports"]):
        clock.cultivation_week(3)
        lead = team.lead
        await lead.send("/report")
        await lead.tap(activity(locale, "party_lecture"))
        await lead.tap(label(locale, "day_today"))
        await lead.tap("30")
        await lead.send(says["lecture"])
        for tapped in ("done", "no_photo", "report_criterion"):
            await lead.tap(label(locale, tapped))
        await lead.tap(CAMPAIGN.criteria[0].title.get(locale))
        await lead.tap(label(locale, "report_save"))
        clock.cultivation_week(5)
        sun = await join(sb, cast, lead, "member2", f"member {project['code']}")
        await sun.send_photo(caption=says["site"])
        for tapped in (
            label(locale, "report_it"),
            activity(locale, "blue_red"),
            label(locale, "day_before"),
            "10",
            label(locale, "report_save"),
        ):
            await sun.tap(tapped)
    await sb.settle()

    chapter("highlight")
    card = next(m for m in sb.messages(group) if m.kind == "photo" and says["album"] in m.text)
    await team.secretary.tap(label(locale, "highlight_mark"), message=card)
    await team.secretary.send("/progress")
    await team.secretary.tap(label(locale, "coach_project", name=project["name"]))
    await team.secretary.send(says["coach"])

    chapter("progress")
    await team.lead.send("/progress")
    await team.lead.send("/highlights")
    await team.admin.send("/progress")


def score_button(card: BotMessage, number: int, value: int) -> str:
    """The data of the scoring card's button for criterion `number` at `value`: each criterion
    has two rows, 0–5 and 6–10, the first button of each labelled "number·value"."""
    rows = [row for row in card.buttons if row[0][0].startswith(f"{number}·")]
    row, column = (rows[0], value) if value <= 5 else (rows[1], value - 6)
    return row[column][1]


async def score(
    locale: str, reviewer: SandboxUser, card: BotMessage, values: tuple[int, ...]
) -> None:
    """Every criterion's value tapped on the card, then ✅ Submit."""
    for number, value in enumerate(values, start=1):
        await reviewer.tap_data(card, score_button(card, number, value))
    await reviewer.tap(label(locale, "review_submit"), message=card)


async def play_stage_three(
    sb: Sandbox,
    cast: Cast,
    team: Team,
    chapter: Chapters,
    clock: Clock,
    save_charts: Callable[[], Awaitable[list[Path]]],
) -> None:
    """The final items handed in; reviewers invited and assigned, a conflict avoided; scores
    by buttons and by /score, a recusal, a changed score; the quick vote; the progress."""
    locale, says = cast.locale, cast.says
    fhb, rbr = cast.project(0, 1), cast.project(1, 1)
    admin, lead = team.admin, team.lead
    chapter("final")
    clock.assessment_day(1)
    await lead.send("/final")
    summary, results = CAMPAIGN.finals
    await lead.tap(label(locale, "final_send", item=summary.title.get(locale)))
    await lead.send_document(
        b"%PDF-1.4\n% demo\n", filename=says["summary_file"], mime_type="application/pdf"
    )
    await lead.tap(label(locale, "final_confirm"))
    await lead.tap(label(locale, "final_send", item=results.title.get(locale)))
    await lead.send(says["results"])
    await lead.tap(label(locale, "done"))
    await lead.tap(label(locale, "final_confirm"))

    chapter("reviewers")
    wu, zheng, qian = [await join(sb, cast, admin, f"reviewer{n}", "reviewer") for n in (1, 2, 3)]
    await admin.send("/invite reviewer")
    await team.secretary.send(f"/start {_link(admin)}")

    chapter("assign")
    await admin.send("/assign")
    await admin.tap(label(locale, "assign_confirm"))

    chapter("score")
    await wu.send("/review")
    card = wu.last_reply
    for number, value in ((1, 8), (2, 7)):
        await wu.tap_data(card, score_button(card, number, value))
    with chapter.summarised(says["scoring"]):
        for number, value in ((3, 9), (4, 8), (5, 8), (6, 9)):
            await wu.tap_data(card, score_button(card, number, value))
        await wu.tap(label(locale, "review_submit"), message=card)
        await wu.tap(label(locale, "review_next"), message=card)
        await score(locale, wu, card, (7, 7, 8, 6, 7, 7))
        await zheng.send("/review")
        await score(locale, zheng, zheng.last_reply, (9, 8, 9, 9, 8, 9))
        await zheng.tap(label(locale, "review_next"), message=zheng.last_reply)
        await score(locale, zheng, zheng.last_reply, (6, 7, 6, 7, 6, 6))

    chapter("recuse")
    await qian.send("/review")  # the first card: a unit this reviewer once worked in
    await qian.tap(label(locale, "recuse"), message=qian.last_reply)
    await qian.tap(label(locale, "recuse_unit"))
    await qian.tap(label(locale, "recuse_yes"))
    with chapter.summarised(says["after_recusal"].format(name=qian.first_name)):
        await qian.send("/review")
        await score(locale, qian, qian.last_reply, (7, 6, 7, 7, 6, 7))

    chapter("typed")
    await team.secretary.send(f"/score {rbr['code']} {says['scores']}")

    chapter("change")
    await wu.send("/review")
    card = wu.last_reply
    await wu.tap_data(card, score_button(card, 2, 8))
    await wu.tap(label(locale, "review_submit_change"), message=card)

    chapter("vote")
    room = sb.group(
        says["reviewers_group"], creator=admin, members=[wu, zheng, qian, team.secretary]
    )
    await sb.add_bot(room, by=admin)
    await admin.send("/bind", chat=room)
    await admin.tap(label(locale, "campaign_wide"), message=sb.messages(room)[-1])
    await admin.send(f"/vote {fhb['code']}", chat=room)
    await sb.settle()
    vote_card = sb.messages(room)[-1]
    for reviewer, choice in (
        (wu, "vote_recommend"),
        (zheng, "vote_recommend"),
        (qian, "vote_undecided"),
    ):
        await reviewer.tap(label(locale, choice), message=vote_card)
    clock.later(seconds=5)
    await sb.settle()
    await admin.tap(label(locale, "vote_close"), message=vote_card)
    await admin.tap(label(locale, "vote_close_confirm"), message=vote_card)
    clock.later(seconds=5)
    await sb.settle()

    chapter("reviewed")
    await admin.send("/review")

    chapter("ranking")
    await admin.send("/ranking")  # one candidate flagged: two reviews count, fewer than three
    await admin.tap(label(locale, "chart_table"))
    chapter.note(*map(str, await save_charts()))

    chapter("select")
    await admin.send(f"/select {fhb['code']} {rbr['code']}")
    await admin.tap(label(locale, "pacesetter_confirm"))


async def play_stage_four(
    sb: Sandbox, cast: Cast, team: Team, chapter: Chapters, clock: Clock, outside: Outside
) -> None:
    """The deliverables handed in (a Word file and a link; typed text and a video file); the
    results booklet built, a chapter corrected, built again and approved; the export; the
    closing report. The files the bot sends the admin land in the output folder."""
    locale, says = cast.locale, cast.says
    admin, lead, other = team.admin, team.lead, team.other_lead
    writeup, video = (
        label(locale, "deliverables_send", item=d.title.get(locale))
        for d in CAMPAIGN.deliverables[:2]
    )
    chapter("consolidate")
    clock.past_deadline("assess")
    with chapter.summarised(says["closings"]):
        await outside.remind()
    clock.consolidation_day(3)
    await outside.remind()  # the stage is open: each lead hears what is owed
    await lead.send("/deliverables")
    await lead.tap(writeup)
    await lead.send_document(_writeup_docx(cast), says["writeup_file"], WORD_TYPE)
    await lead.tap(label(locale, "final_confirm"))
    await lead.tap(video)
    await lead.send(says["video_link"])
    await lead.tap(label(locale, "final_confirm"))
    await other.send("/deliverables")
    await other.tap(writeup)
    await other.send(says["writeup"])
    await other.tap(label(locale, "done"))
    await other.tap(label(locale, "final_confirm"))
    await other.tap(video)
    await other.send_document(fake_video(600_000), says["video_file"], "video/mp4")
    await other.tap(label(locale, "final_confirm"))

    chapter("booklet")
    await build_booklet(sb, locale, admin)

    chapter("corrections")
    await open_chapter(locale, other)
    await other.tap(label(locale, "deliverables_fix"))
    await other.send(says["corrections"])

    chapter("rebuild")
    since = len(admin.replies())
    await build_booklet(sb, locale, admin)
    chapter.note(*map(str, await save_sent(sb, admin, since, outside.folder)))
    for person in (lead, other):
        await open_chapter(locale, person)
        await person.tap(label(locale, "deliverables_approve"))

    chapter("export")
    since = len(admin.replies())
    await admin.send("/export")
    await admin.tap(label(locale, "export_everything"))
    chapter.note(*map(str, await save_sent(sb, admin, since, outside.folder)))

    chapter("closing")
    clock.past_deadline("consolidate")
    await outside.remind()

    chapter("outputs")
    chapter.note(*_listing(outside.folder))


def _listing(folder: Path) -> list[str]:
    """The output folder's top level: each file's path, each folder's with how many it holds."""
    lines = []
    for entry in sorted(folder.iterdir()):
        if entry.is_dir():
            lines.append(f"{entry}/ ({sum(1 for _ in entry.iterdir())})")
        else:
            lines.append(str(entry))
    return lines


def _writeup_docx(cast: Cast) -> bytes:
    """The write-up as a lead writes it in Word: a heading and a paragraph."""
    document = docx.Document()
    document.add_heading(cast.says["writeup_title"], level=1)
    document.add_paragraph(cast.says["writeup_body"])
    written = io.BytesIO()
    document.save(written)
    return written.getvalue()


async def build_booklet(sb: Sandbox, locale: str, admin: SandboxUser) -> None:
    """/booklet, ✅: the files to the admin; each chapter's draft announced to its lead."""
    await admin.send("/booklet")
    await admin.tap(label(locale, "booklet_chat_build"))
    await sb.settle()


async def open_chapter(locale: str, lead: SandboxUser) -> None:
    """The lead taps 📋 under the latest "your chapter is ready" (it turns into the checklist),
    then 📄 on it: the draft comes as a .docx."""
    opened = label(locale, "deliverables_open")
    notices = [m for m in lead.replies() if m.button_data(opened) is not None]
    if not notices:
        raise RuntimeError(f"no chapter is ready for {lead.first_name}")
    await lead.tap(opened, message=notices[-1])
    await lead.tap(label(locale, "deliverables_chapter"), message=notices[-1])


async def save_sent(sb: Sandbox, user: SandboxUser, since: int, folder: Path) -> list[Path]:
    """The documents the bot sent `user` after their `since`th reply, written to `folder` as
    named; a .zip (the booklet's web page and its pictures) unpacked there. What was written:
    each file, or an archive's page."""
    sent = [sb.files.get(m.file_id) for m in user.replies()[since:] if m.kind == "document"]

    def write() -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for stored in sent:
            if stored.file_name.endswith(".zip"):
                with zipfile.ZipFile(io.BytesIO(stored.data)) as archive:
                    archive.extractall(folder)
                    pages = [n for n in archive.namelist() if n.endswith(".html")]
                written += [folder / page for page in pages]
            else:
                (folder / stored.file_name).write_bytes(stored.data)
                written.append(folder / stored.file_name)
        return written

    return await asyncio.to_thread(write)


@dataclass(frozen=True)
class Outside:
    """What the demo does beside the chat: the bot's reminder schedule looked at now (as its
    job does every 30 s), the charts drawn, and the folder the outputs are saved in."""

    folder: Path
    save_charts: Callable[[], Awaitable[list[Path]]]
    remind: Callable[[], Awaitable[object]]


def _chart_saver(settings: Settings, locale: str, out: Path) -> Callable[[], Awaitable[list[Path]]]:
    """The ranking's two charts, written in the output folder, where the demo's reader can
    open them after it ends (the demo's own database goes with its scratch folder)."""

    async def save() -> list[Path]:
        from bot import charts  # matplotlib: loaded by the demo's last chapters only
        from storage.db import Database

        campaign = load_campaign(settings.campaign_path)
        db = await Database.open(settings.db_path)
        try:
            return await charts.write_files(db, campaign, Messages(campaign.timezone), locale, out)
        finally:
            await db.close()

    return save


def _reminder(runner: BotRunner, sb: Sandbox) -> Callable[[], Awaitable[object]]:
    """The bot's reminder schedule looked at now, what it wrote sent: the demo moves the clock,
    so it looks when it chooses (the tests' world.remind does the same)."""

    async def remind() -> object:
        written = await runner.remind_due()
        await sb.settle()
        return written

    return remind


def default_folder(language: str, today: date) -> Path:
    """Where the outputs go unless the demo is told: a new folder in the working directory,
    named for the language and the day (a second run that day gets -2, -3, …)."""
    name = f"pacesetter-demo-{language}-{today.isoformat()}"
    found = Path.cwd() / name
    number = 1
    while found.exists():
        number += 1
        found = Path.cwd() / f"{name}-{number}"
    return found


async def run_demo(
    db_path: Path | None = None,
    out=sys.stdout,
    language: str = "zh-Hans",
    folder: Path | None = None,
) -> int:
    cast = CASTS[language]
    started = time.monotonic()
    folder = (folder or default_folder(language, date.today())).resolve()
    with tempfile.TemporaryDirectory(prefix="pacesetter-demo-") as scratch:
        async with Sandbox(token=DEMO_TOKEN) as sb:
            sb.limits.chat_per_second = 1000.0  # the script types faster than any person
            admin = sb.user(
                cast.people["admin"], language_code=cast.locale.lower(), username="zhaomin"
            )
            settings = Settings(
                token=Secret(DEMO_TOKEN),
                api_url=sb.api_url,
                db_path=db_path or Path(scratch) / "demo.db",
                admins=frozenset({admin.id}),
                campaign_path=_campaign_in(cast.locale, Path(scratch)),
            )
            chapter = Chapters(sb, cast)
            # The campaign's own calendar: a week into the application stage.
            apply_stage = CAMPAIGN.stage("apply")
            clock = Clock(apply_stage.opens + timedelta(days=7))
            runner = BotRunner(
                settings,
                poll_timeout=5,
                clock=clock,
                pace=Pace(chat_per_second=1000.0, chat_burst=1000.0),
            )
            await runner.start()
            clock.woken = runner.sender.wake
            sb.bot_busy = runner.busy  # each step waits for the bot's answers and notices
            outside = Outside(
                folder,
                _chart_saver(settings, cast.locale, folder / "charts"),
                _reminder(runner, sb),
            )
            try:
                await play(sb, cast, admin, chapter, clock, outside)
            finally:
                await runner.stop()
            for line in chapter.lines():
                print(line, file=out)
            trouble = sb.rejections or sb.problems
            for item in trouble:
                print(f"!! {item}", file=out)
    print(f"\n-- demo finished in {time.monotonic() - started:.1f} s", file=out)
    print(f"-- the booklet, the export and the charts are in {folder}", file=out)
    return 1 if trouble else 0
