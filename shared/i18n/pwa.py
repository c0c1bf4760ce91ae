"""The rep's app as a PWA served at /app/ (docs/pwa.md): its manifest and the server's answer without a build."""

MESSAGES: dict[str, dict[str, str]] = {
    "zh-CN": {
        "pwa.short_name": "RouteCRM",
        "pwa.description": "业务员的终端拜访应用：离线可用，联网时自动同步。",
        "pwa.not_built": "业务员应用（PWA）尚未构建：请在服务器上运行 make pwa。",
    },
    "en": {
        "pwa.short_name": "RouteCRM",
        "pwa.description": "The rep's visit app: works offline, syncs when it can.",
        "pwa.not_built": "The rep's app (PWA) has not been built: run make pwa on the server.",
    },
}
