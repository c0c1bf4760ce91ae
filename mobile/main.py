"""The phone app's entry point for `flet build` (staged by scripts/build-phone.sh; see docs/deploy.md).

On a phone Flet sets FLET_APP_STORAGE_DATA to the app's private folder, where client.config puts the local
store; the rep types the sync server's address on the sign-in screen.
"""

from client.__main__ import main

main([])
