"""Strings of the phone's PIN lock (client/features/account/pin_view.py). Keys start with "client.pin."."""

MESSAGES: dict[str, dict[str, str]] = {
    "zh-CN": {
        "client.pin.unlock_title": "输入 PIN 码解锁",
        "client.pin.unlock_hint": "本机数据已加密保存，输入您设置的 PIN 码后才能查看。",
        "client.pin.set_title": "设置 PIN 码",
        "client.pin.set_hint": "请设置 4 到 8 位数字的 PIN 码：本机数据用它加密保存，打开应用和闲置后需要输入。",
        "client.pin.pin": "PIN 码",
        "client.pin.repeat": "再次输入 PIN 码",
        "client.pin.unlock": "解锁",
        "client.pin.set": "设置 PIN 码",
        "client.pin.busy": "请稍候…",
        "client.pin.format": "PIN 码须为 4 到 8 位数字",
        "client.pin.mismatch": "两次输入的 PIN 码不一致",
        "client.pin.wrong": "PIN 码错误",
        "client.pin.wrong_wait": "PIN 码错误，请 {seconds} 秒后再试",
        "client.pin.wait": "错误次数过多，请 {seconds} 秒后再试",
        "client.pin.corrupt": "本机数据文件已损坏或被改动，无法打开。请联系管理员：{detail}",
        "client.pin.failed": "打开失败，请再试一次：{detail}",
    },
    "en": {
        "client.pin.unlock_title": "Enter your PIN to unlock",
        "client.pin.unlock_hint": "The data on this phone is encrypted; your PIN opens it.",
        "client.pin.set_title": "Set a PIN",
        "client.pin.set_hint": (
            "Choose a PIN of 4 to 8 digits: it encrypts the data on this phone and is asked when the app "
            "opens and after it was idle."
        ),
        "client.pin.pin": "PIN",
        "client.pin.repeat": "Repeat the PIN",
        "client.pin.unlock": "Unlock",
        "client.pin.set": "Set PIN",
        "client.pin.busy": "Please wait…",
        "client.pin.format": "A PIN is 4 to 8 digits",
        "client.pin.mismatch": "The two PINs differ",
        "client.pin.wrong": "Wrong PIN",
        "client.pin.wrong_wait": "Wrong PIN; try again in {seconds} s",
        "client.pin.wait": "Too many wrong PINs; try again in {seconds} s",
        "client.pin.corrupt": "The data files on this phone are damaged or were changed and cannot be opened. "
        "Ask your administrator: {detail}",
        "client.pin.failed": "Could not open the app; please try again: {detail}",
    },
}
