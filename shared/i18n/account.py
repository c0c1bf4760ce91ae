"""Strings of the phone's settings screen (client/features/account/settings_view.py): change the PIN, sign out.
Keys start with "client.settings."."""

MESSAGES = {
    "zh-CN": {
        "client.settings.open": "设置",
        "client.settings.title": "设置",
        "client.settings.pin_section": "更改 PIN 码",
        "client.settings.pin_hint": "输入当前 PIN 码和新的 PIN 码（4 到 8 位数字，输入两次）。本机数据无需重新加密。",
        "client.settings.current_pin": "当前 PIN 码",
        "client.settings.new_pin": "新 PIN 码",
        "client.settings.repeat_pin": "再次输入新 PIN 码",
        "client.settings.change_pin": "更改 PIN 码",
        "client.settings.pin_changed": "PIN 码已更改",
        "client.settings.wrong_current": "当前 PIN 码错误",
        "client.settings.wrong_current_wait": "当前 PIN 码错误，请 {seconds} 秒后再试",
        "client.settings.sign_out_section": "退出登录",
        "client.settings.phone_section": "本机",
        "client.settings.phone_id": "手机编号：{id}",
        "client.settings.chain": "签名链：第 {seq} 条 · {hash}",
        "client.settings.chain_none": "签名链：还没有记录",
        "client.settings.clock_right": "手机时钟：准确（与服务器相差不到 30 秒）",
        "client.settings.clock_slow": "手机时钟：慢了 {amount}，本应用按服务器时间记录",
        "client.settings.clock_fast": "手机时钟：快了 {amount}，本应用按服务器时间记录",
        "client.settings.clock_minutes": "{minutes} 分钟",
        "client.settings.clock_hours": "{hours} 小时 {minutes} 分",
        "client.settings.chain_hint": (
            "全部同步后，主管“手机”页上本机的签名链应与此相同：服务器收到了本机的每一条记录。"
        ),
        "client.settings.sign_out_hint": (
            "退出登录会结束本机的登录，并清除本机上的全部数据（已同步的数据都在服务器上），之后其他业务员也可以在本机登录。"
            "有未同步的更改时不能退出。"
        ),
        "client.settings.sign_out": "退出登录",
        "client.settings.confirm_nothing": "所有更改都已同步。确定退出登录并清除本机数据吗？",
        "client.settings.confirm_pending": (
            "还有 {changes} 条更改、{drafts} 条待修改的草稿、{photos} 张照片未同步。"
            "退出前会先同步；同步不完时不能退出登录，本机数据不会丢失。"
        ),
        "client.settings.confirm": "确认退出登录",
        "client.settings.cancel": "取消",
        "client.settings.signing_out": "正在退出…",
        "client.settings.refused_pending": (
            "还有 {changes} 条更改、{drafts} 条待修改的草稿、{photos} 张照片未同步，不能退出登录。"
            "请联网同步；草稿请在「草稿」中修改重发或放弃后再试。"
        ),
        "client.settings.unreachable": "无法连接服务器，暂时不能退出登录（退出需要联网结束本机的登录）：{detail}",
        "client.settings.failed": "退出登录失败，请再试一次：{detail}",
    },
    "en": {
        "client.settings.open": "Settings",
        "client.settings.title": "Settings",
        "client.settings.pin_section": "Change the PIN",
        "client.settings.pin_hint": (
            "Enter the current PIN and the new one (4 to 8 digits, twice). The data on this phone is not re-encrypted."
        ),
        "client.settings.current_pin": "Current PIN",
        "client.settings.new_pin": "New PIN",
        "client.settings.repeat_pin": "Repeat the new PIN",
        "client.settings.change_pin": "Change PIN",
        "client.settings.pin_changed": "PIN changed",
        "client.settings.wrong_current": "The current PIN is wrong",
        "client.settings.wrong_current_wait": "The current PIN is wrong; try again in {seconds} s",
        "client.settings.sign_out_section": "Sign out",
        "client.settings.phone_section": "This phone",
        "client.settings.phone_id": "Phone id: {id}",
        "client.settings.chain": "Signed chain: op no. {seq} · {hash}",
        "client.settings.chain_none": "Signed chain: nothing recorded yet",
        "client.settings.clock_right": "Phone clock: right (within 30 s of the server)",
        "client.settings.clock_slow": "Phone clock: {amount} slow; the app records the server's time",
        "client.settings.clock_fast": "Phone clock: {amount} fast; the app records the server's time",
        "client.settings.clock_minutes": "{minutes} min",
        "client.settings.clock_hours": "{hours} h {minutes} min",
        "client.settings.chain_hint": (
            "Once everything is synced, the supervisor's Phones page shows this phone's chain the same: the server"
            " received every record this phone made."
        ),
        "client.settings.sign_out_hint": (
            "Signing out ends this phone's sign-in and erases all data on this phone (everything synced is on the "
            "server), so another rep can sign in here. It is refused while changes are not synced."
        ),
        "client.settings.sign_out": "Sign out",
        "client.settings.confirm_nothing": "Everything is synced. Sign out and erase the data on this phone?",
        "client.settings.confirm_pending": (
            "{changes} changes, {drafts} drafts to fix and {photos} photos are not synced yet. They are synced "
            "first; if that does not finish, signing out is refused and nothing on this phone is lost."
        ),
        "client.settings.confirm": "Sign out now",
        "client.settings.cancel": "Cancel",
        "client.settings.signing_out": "Signing out…",
        "client.settings.refused_pending": (
            "{changes} changes, {drafts} drafts to fix and {photos} photos are not synced: signing out is refused. "
            "Sync with a network; fix and resend or discard the drafts under Drafts, then try again."
        ),
        "client.settings.unreachable": (
            "The server cannot be reached, so signing out must wait (it ends this phone's sign-in there): {detail}"
        ),
        "client.settings.failed": "Signing out failed; please try again: {detail}",
    },
}
