"""Strings of phones, sign-in sessions, revocation and the quarantine (web and phone)."""

MESSAGES: dict[str, dict[str, str]] = {
    "zh-CN": {
        "web.nav.devices": "手机",
        "web.nav.quarantine": "隔离区",
        "web.devices.title": "业务员手机",
        "web.devices.hint": (
            "撤销后，手机下次联网时会上交未同步的数据（放入隔离区待管理员处理），然后锁定并清空本机数据。"
        ),
        "web.devices.rep": "业务员",
        "web.devices.name": "手机",
        "web.devices.last_seen": "最近联系",
        "web.devices.state": "状态",
        "web.devices.active": "使用中",
        "web.devices.revoked_at": "已于 {when} 撤销",
        "web.devices.revoke": "撤销",
        "web.devices.none": "还没有手机登录过。",
        "web.devices.revoked_notice": "已撤销这部手机。",
        "web.devices.chain": "签名链",
        "web.devices.chain_head": "第 {seq} 条 · {hash}",
        "web.devices.chain_breaks": "{n} 处断开",
        "web.devices.clock": "手机时钟",
        "web.devices.clock_hint": (
            "手机时钟：手机每次同步时报告自己的时钟与服务器相差多少。应用按服务器时间记录，"
            "但时钟不准的手机值得留意，尤其是补录的拜访。相差 30 秒以内算准确。"
        ),
        "web.devices.clock_unknown": "尚未测得",
        "web.devices.clock_right": "时钟准确",
        "web.devices.clock_behind": "时钟慢 {amount}",
        "web.devices.clock_ahead": "时钟快 {amount}",
        "web.devices.clock_seconds": "{seconds} 秒",
        "web.devices.clock_minutes": "{minutes} 分钟",
        "web.devices.clock_hours": "{hours} 小时 {minutes} 分",
        "web.devices.clock_days": "{days} 天 {hours} 小时",
        "web.devices.clock_heard": "{when} 测得",
        "web.quarantine.title": "隔离区",
        "web.quarantine.hint": ("被撤销的手机上交的未同步数据。接受：按原业务员和原手机写入一次；丢弃：永不写入。"),
        "web.quarantine.received": "收到时间",
        "web.quarantine.change": "修改内容",
        "web.quarantine.accept": "接受",
        "web.quarantine.drop": "丢弃",
        "web.quarantine.none": "隔离区是空的。",
        "web.quarantine.done.applied": "已接受并写入。",
        "web.quarantine.done.duplicate": "已接受（此前已写入过，未重复写入）。",
        "web.quarantine.done.rejected": "已接受，但数据不合规则被拒绝，已转入待审核的被拒记录。",
        "web.quarantine.done.dropped": "已丢弃。",
        "web.audit.action.sign_out": "退出登录",
        "web.audit.action.refresh_reuse": "刷新令牌被重复使用（登录已作废）",
        "web.audit.action.device_revoked": "撤销手机",
        "web.audit.action.ops_quarantined": "被撤销手机的数据进入隔离区",
        "web.audit.action.quarantine_accepted": "接受隔离数据",
        "web.audit.action.quarantine_dropped": "丢弃隔离数据",
        "web.audit.action.password_changed": "修改密码",
        "password.too_short": "密码至少需要 {min} 个字符",
        "password.too_long": "密码最多 {max} 个字符",
        "password.is_username": "密码不能与用户名相同",
        "password.too_common": "这个密码太常见，请换一个",
        "client.revoked.title": "此手机已被撤销",
        "client.revoked.body": (
            "管理员撤销了这部手机。未同步的数据已上交服务器等待审核，本机数据已清除。"
            "如需继续使用，请联系主管，然后重新打开应用并登录。"
        ),
    },
    "en": {
        "web.nav.devices": "Phones",
        "web.nav.quarantine": "Quarantine",
        "web.devices.title": "Reps' phones",
        "web.devices.hint": (
            "A revoked phone, at its next contact, hands over its unsent work (kept in quarantine for an admin), "
            "then locks and wipes its data."
        ),
        "web.devices.rep": "Rep",
        "web.devices.name": "Phone",
        "web.devices.last_seen": "Last contact",
        "web.devices.state": "State",
        "web.devices.active": "In use",
        "web.devices.revoked_at": "Revoked {when}",
        "web.devices.revoke": "Revoke",
        "web.devices.none": "No phone has signed in yet.",
        "web.devices.revoked_notice": "The phone is revoked.",
        "web.devices.chain": "Signed chain",
        "web.devices.chain_head": "op no. {seq} · {hash}",
        "web.devices.chain_breaks": "{n} breaks",
        "web.devices.clock": "Phone clock",
        "web.devices.clock_hint": (
            "Phone clock: at every sync a phone says how far its clock is from the server's. The app records the "
            "server's time, but a phone with a wrong clock deserves a look, above all for visits entered late. "
            "Within 30 s counts as right."
        ),
        "web.devices.clock_unknown": "not measured yet",
        "web.devices.clock_right": "clock right",
        "web.devices.clock_behind": "clock {amount} behind",
        "web.devices.clock_ahead": "clock {amount} ahead",
        "web.devices.clock_seconds": "{seconds} s",
        "web.devices.clock_minutes": "{minutes} min",
        "web.devices.clock_hours": "{hours} h {minutes} min",
        "web.devices.clock_days": "{days} d {hours} h",
        "web.devices.clock_heard": "as of {when}",
        "web.quarantine.title": "Quarantine",
        "web.quarantine.hint": (
            "Unsent work handed over by revoked phones. Accept: written once, as the rep and phone that made it; "
            "drop: never written."
        ),
        "web.quarantine.received": "Received",
        "web.quarantine.change": "Change",
        "web.quarantine.accept": "Accept",
        "web.quarantine.drop": "Drop",
        "web.quarantine.none": "The quarantine is empty.",
        "web.quarantine.done.applied": "Accepted and written.",
        "web.quarantine.done.duplicate": "Accepted (it had been written before; not written twice).",
        "web.quarantine.done.rejected": "Accepted, but the change breaks a rule: it is now a rejected op for review.",
        "web.quarantine.done.dropped": "Dropped.",
        "web.audit.action.sign_out": "Signed out",
        "web.audit.action.refresh_reuse": "Refresh token reused (sign-in revoked)",
        "web.audit.action.device_revoked": "Phone revoked",
        "web.audit.action.ops_quarantined": "A revoked phone's work quarantined",
        "web.audit.action.quarantine_accepted": "Quarantined work accepted",
        "web.audit.action.quarantine_dropped": "Quarantined work dropped",
        "web.audit.action.password_changed": "Password changed",
        "password.too_short": "the password needs at least {min} characters",
        "password.too_long": "the password may have at most {max} characters",
        "password.is_username": "the password must not be the username",
        "password.too_common": "this password is too common: choose another",
        "client.revoked.title": "This phone was revoked",
        "client.revoked.body": (
            "An administrator revoked this phone. Its unsent work was handed to the server for review and the "
            "data on this phone was wiped. To go on, ask your supervisor, then open the app again and sign in."
        ),
    },
}
