"""Strings of each phone's signed chain of ops (issue #17): a visit's signature on the web, a refused op."""

MESSAGES: dict[str, dict[str, str]] = {
    "zh-CN": {
        "web.chain.column": "签名",
        "web.chain.intact": "签名：手机 {phone}，链完整",
        "web.chain.unsigned": "未签名：手机 {phone} 当时的应用版本不签名",
        "web.chain.gap": "签名：手机 {phone}，链有缺口：第 {seq} 条之前的操作服务器没有收到",
        "web.chain.fork": "签名：手机 {phone}，链分叉：第 {seq} 条与服务器保存的前一条接不上",
        "web.chain.invalid": "签名无效：第 {seq} 条在服务器上被改动过",
        "web.chain.erased": "签名：手机 {phone}，链完整；第 {seq} 条的个人信息已按要求删除，其内容无法再核对",
        "web.chain.none": "无签名记录",
        "web.chain.upload_clock": "上传时手机{clock}",
        "web.chain.upload_clock_unknown": "上传时手机时钟未报告",
        "client.drafts.code.bad_signature": "签名无效：这条修改签名后被改动过，或不是本机签的",
    },
    "en": {
        "web.chain.column": "Signature",
        "web.chain.intact": "Signed by phone {phone}, chain intact",
        "web.chain.unsigned": "Unsigned: phone {phone} ran an app version that did not sign",
        "web.chain.gap": "Signed by phone {phone}; chain gap: the server never received the op before no. {seq}",
        "web.chain.fork": "Signed by phone {phone}; chain fork: op no. {seq} does not follow the op the server holds",
        "web.chain.invalid": "Invalid signature: op no. {seq} was changed on the server",
        "web.chain.erased": (
            "Signed by phone {phone}, chain intact; personal data erased from op no. {seq}: its content can no"
            " longer be checked"
        ),
        "web.chain.none": "No signed record",
        "web.chain.upload_clock": "phone's {clock} at upload",
        "web.chain.upload_clock_unknown": "phone's clock at upload not reported",
        "client.drafts.code.bad_signature": "Bad signature: changed after it was signed, or not signed by this phone",
    },
}
