"""Strings of complaint handling on the phone and the web (steps), of deleting a key person on the phone,
and of the earlier rounds of a customer's development on the phone."""

MESSAGES: dict[str, dict[str, str]] = {
    "zh-CN": {
        "enum.RecordKind.complaint_step": "投诉进度",
        "client.kind.complaint_step": "投诉进度",
        "client.kind.opportunity": "开发机会",  # a refused one is listed in the drafts
        "client.kind.stage_event": "开发阶段变更",
        # web
        "web.complaint.step_not_applied": "未改变状态：已有同样或更靠后的进度",
        # phone: complaint steps
        "client.complaint.history": "处理记录",
        "client.complaint.step": "{time} {status}",
        "client.complaint.step_not_applied": "（未改变状态：已有同样或更靠后的进度）",
        "client.complaint.step_waiting": "（待同步）",
        "client.complaint.move": "推进处理",
        "client.complaint.move_to": "转到",
        "client.complaint.note": "处理说明（方案、结果、客户反馈）",
        "client.complaint.save_step": "保存进度",
        "client.complaint.cancel_step": "取消",
        "client.complaint.step_saved": "投诉进度已保存（待同步）",
        "client.complaint.step_required": "请选择要转到的进度",
        "client.complaint.finished": "已回访确认满意，处理完毕",
        # phone: key persons
        "client.key_person.delete": "删除关键人",
        "client.key_person.delete_confirm": "确定删除关键人 {name}？同步后主管页面也不再显示。",
        "client.key_person.delete_yes": "确定删除",
        "client.key_person.delete_no": "不删除",
        "client.key_person.deleted": "关键人已删除（待同步）",
        # phone: pipeline rounds
        "client.pipeline.earlier": "以往开发",
        "client.pipeline.round": "第 {number} 轮 · {outcome} · {opened} 开始",
        "client.pipeline.round_closed": "{closed} 结束",
        "client.pipeline.round_stage": "止于 {stage}",
        "client.pipeline.refused": "你在本机开始的开发未被服务器接受：该客户已有进行中的开发（上面所示），"
        "请在它上面继续。未被接受的记录在草稿里，可查看后丢弃。",
    },
    "en": {
        "enum.RecordKind.complaint_step": "Complaint step",
        "client.kind.complaint_step": "Complaint step",
        "client.kind.opportunity": "Development",
        "client.kind.stage_event": "Stage change",
        "web.complaint.step_not_applied": "did not change the status: as far or further already",
        "client.complaint.history": "Handling",
        "client.complaint.step": "{time} {status}",
        "client.complaint.step_not_applied": "(did not change the status: as far or further already)",
        "client.complaint.step_waiting": "(waiting to sync)",
        "client.complaint.move": "Move forward",
        "client.complaint.move_to": "Move to",
        "client.complaint.note": "Note (solution, result, what the customer said)",
        "client.complaint.save_step": "Save step",
        "client.complaint.cancel_step": "Cancel",
        "client.complaint.step_saved": "Complaint step saved (waiting to sync)",
        "client.complaint.step_required": "Choose the step to move to",
        "client.complaint.finished": "Confirmed satisfied on the follow-up: done",
        "client.key_person.delete": "Delete key person",
        "client.key_person.delete_confirm": "Delete key person {name}? After sync the supervisor's page no longer "
        "shows them.",
        "client.key_person.delete_yes": "Delete",
        "client.key_person.delete_no": "Keep",
        "client.key_person.deleted": "Key person deleted (waiting to sync)",
        "client.pipeline.earlier": "Earlier developments",
        "client.pipeline.round": "Round {number} · {outcome} · opened {opened}",
        "client.pipeline.round_closed": "closed {closed}",
        "client.pipeline.round_stage": "ended at {stage}",
        "client.pipeline.refused": "The development you started on this phone was refused: this customer already has "
        "an open one (shown above); carry on with it. The refused records are in the drafts, to look at and discard.",
    },
}
