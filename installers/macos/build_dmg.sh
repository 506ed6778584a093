#!/usr/bin/env bash
# The macOS disk image of Liaison Desk: sign the .app, make the .dmg, sign, notarize and staple it.
#
#   installers/macos/build_dmg.sh "dist/Liaison Desk.app" dist/liaison-desk-0.1.0.dmg 0.1.0
#
# installers/build.py runs it after the frozen app passed its smoke test. Signing and notarizing run
# only when their secrets are in the environment (CI: repository secrets); without them the dmg is
# made unsigned and each skipped step says so. Gatekeeper blocks an unsigned, un-notarized app
# downloaded from the internet, so a dmg for agents must be made with the secrets.
#
#   MACOS_CERTIFICATE_P12       base64 of the "Developer ID Application" certificate and key (.p12)
#   MACOS_CERTIFICATE_PASSWORD  the .p12's password
#   MACOS_SIGNING_IDENTITY      e.g. "Developer ID Application: Liaison Ltd (TEAMID1234)"
#   APPLE_ID, APPLE_TEAM_ID, APPLE_APP_PASSWORD
#                               notarization (an app-specific password of the Apple ID)
set -euo pipefail

if [ "$#" -ne 3 ]; then
  echo "usage: $0 APP_BUNDLE OUT_DMG VERSION" >&2
  exit 2
fi
APP="$1"
DMG="$2"
VERSION="$3"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ENTITLEMENTS="$HERE/entitlements.plist"
VOLUME="Liaison Desk $VERSION"

say() { printf 'build_dmg: %s\n' "$*"; }
[ -d "$APP" ] || { echo "build_dmg: no app bundle at $APP" >&2; exit 1; }
command -v hdiutil >/dev/null || { echo "build_dmg: hdiutil not found (macOS only)" >&2; exit 1; }

WORK="$(mktemp -d -t liaison-dmg)"
KEYCHAIN="$WORK/signing.keychain-db"
cleanup() {
  if [ -f "$KEYCHAIN" ]; then security delete-keychain "$KEYCHAIN" || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

can_sign() { [ -n "${MACOS_CERTIFICATE_P12:-}" ] && [ -n "${MACOS_CERTIFICATE_PASSWORD:-}" ] && [ -n "${MACOS_SIGNING_IDENTITY:-}" ]; }
can_notarize() { [ -n "${APPLE_ID:-}" ] && [ -n "${APPLE_TEAM_ID:-}" ] && [ -n "${APPLE_APP_PASSWORD:-}" ]; }

import_certificate() {
  # a throwaway keychain that holds only the signing identity (GitHub's documented recipe)
  local password
  password="$(uuidgen)"
  printf '%s' "$MACOS_CERTIFICATE_P12" | base64 --decode > "$WORK/certificate.p12"
  security create-keychain -p "$password" "$KEYCHAIN"
  security set-keychain-settings -lut 21600 "$KEYCHAIN"
  security unlock-keychain -p "$password" "$KEYCHAIN"
  security import "$WORK/certificate.p12" -P "$MACOS_CERTIFICATE_PASSWORD" -A -t cert -f pkcs12 -k "$KEYCHAIN"
  security set-key-partition-list -S apple-tool:,apple: -k "$password" "$KEYCHAIN" >/dev/null
  security list-keychain -d user -s "$KEYCHAIN"
  rm -f "$WORK/certificate.p12"
}

sign() {
  # the hardened runtime (--options runtime) and a secure timestamp are required for notarization;
  # --deep signs the Python extensions and Qt frameworks nested in Contents/Frameworks
  codesign --force --deep --timestamp --options runtime --entitlements "$ENTITLEMENTS" \
    --keychain "$KEYCHAIN" --sign "$MACOS_SIGNING_IDENTITY" "$1"
}

if can_sign; then
  say "signing $APP as $MACOS_SIGNING_IDENTITY"
  import_certificate
  sign "$APP"
  codesign --verify --deep --strict --verbose=2 "$APP"
else
  say "SKIPPED codesign: set MACOS_CERTIFICATE_P12, MACOS_CERTIFICATE_PASSWORD and MACOS_SIGNING_IDENTITY to sign"
fi

say "making $DMG"
STAGE="$WORK/stage"
mkdir -p "$STAGE"
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
rm -f "$DMG"
hdiutil create -volname "$VOLUME" -srcfolder "$STAGE" -fs HFS+ -format UDZO -ov "$DMG"

if can_sign; then
  codesign --force --timestamp --keychain "$KEYCHAIN" --sign "$MACOS_SIGNING_IDENTITY" "$DMG"
  if can_notarize; then
    say "notarizing $DMG (waits for Apple's answer)"
    xcrun notarytool submit "$DMG" --apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" \
      --password "$APPLE_APP_PASSWORD" --wait
    xcrun stapler staple "$DMG"
    xcrun stapler validate "$DMG"
    spctl --assess --type open --context context:primary-signature --verbose=2 "$DMG"
  else
    say "SKIPPED notarization: set APPLE_ID, APPLE_TEAM_ID and APPLE_APP_PASSWORD to notarize and staple"
  fi
else
  say "SKIPPED notarization: the app is not signed"
fi
say "done: $DMG"
