; Liaison Desk for Windows: a per-user Inno Setup 6 installer of the PyInstaller bundle.
;
; Built by installers/build.py (after the frozen app passed its smoke test), which runs:
;   ISCC.exe /DAppVersion=0.1.0 /DBundleDir=dist\liaison /DIconFile=build\installer-assets\liaison.ico
;            /Odist /Fliaison-desk-0.1.0-setup installers\windows\liaison.iss
; (/D defines a preprocessor variable, /O the output folder, /F the output file's base name.)
;
; What it does:
; - installs for the current user only, without administrator rights (PrivilegesRequired=lowest):
;   into %LOCALAPPDATA%\Programs\Liaison Desk ({autopf} in non administrative install mode);
; - a Start menu entry, an uninstaller (Settings > Apps, and unins000.exe in the install folder);
; - registers the liaison:// URL scheme for screen pop under HKCU\Software\Classes\liaison:
;   a softphone opening liaison://pop?phone=+4420... runs `liaison.exe "liaison://pop?phone=..."`,
;   which hands the number to the running Liaison Desk;
; - optional server preset for IT: /SERVER=https://crm.example.com writes
;   %LOCALAPPDATA%\Liaison\LiaisonDesk\settings.ini ([server] url=...), the per-user preset file
;   the desktop reads (desktop/services/settings.py; platformdirs' user_config_dir on Windows).
;
; Silent deployment (IT), e.g. from a login script or a software-distribution tool, per user:
;   liaison-desk-0.1.0-setup.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART /SERVER=https://crm.example.com
;   optional: /DIR="%LOCALAPPDATA%\Programs\Liaison Desk"  /LOG="%TEMP%\liaison-setup.log"  /NOICONS
; Silent removal:
;   "%LOCALAPPDATA%\Programs\Liaison Desk\unins000.exe" /VERYSILENT /SUPPRESSMSGBOXES /NORESTART
; A machine-wide preset (all users) is a file IT places itself, with admin rights, at
;   C:\ProgramData\Liaison\LiaisonDesk\settings.ini  (platformdirs' site_config_dir; see docs/installers.md)

#ifndef AppVersion
  #error Pass the version: ISCC /DAppVersion=X.Y.Z (installers/build.py does)
#endif
#ifndef BundleDir
  #error Pass the PyInstaller bundle: ISCC /DBundleDir=dist\liaison (installers/build.py does)
#endif
#ifndef IconFile
  #define IconFile "..\..\build\installer-assets\liaison.ico"
#endif

#define AppName "Liaison Desk"
#define AppExe "liaison.exe"
#define PresetDir "{localappdata}\Liaison\LiaisonDesk"

[Setup]
; AppId identifies the installation for upgrades and the uninstaller: never change it
AppId={{6B1F3C52-8E0A-4C1E-9B57-2D8C4E6A9F10}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Liaison
VersionInfoVersion={#AppVersion}
VersionInfoProductName={#AppName}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
WizardStyle=modern
Compression=lzma2
SolidCompression=yes
; close a running Liaison Desk (Restart Manager) before files are replaced, and restart it after
CloseApplications=yes
RestartApplications=yes
; the URL scheme: tell Explorer that associations changed
ChangesAssociations=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; liaison:// for screen pop (Microsoft: "Registering an Application to a URI Scheme"), per user
Root: HKCU; Subkey: "Software\Classes\liaison"; ValueType: string; ValueName: ""; ValueData: "URL:Liaison Desk screen pop"; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Classes\liaison"; ValueType: string; ValueName: "URL Protocol"; ValueData: ""
Root: HKCU; Subkey: "Software\Classes\liaison\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"",0"
Root: HKCU; Subkey: "Software\Classes\liaison\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""

[INI]
; /SERVER=URL: the per-user preset of the server URL (only when the switch is given)
Filename: "{#PresetDir}\settings.ini"; Section: "server"; Key: "url"; String: "{param:SERVER}"; Check: HasServerSwitch; Flags: uninsdeleteentry uninsdeletesectionifempty

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[Code]
function HasServerSwitch(): Boolean;
var
  Url: String;
begin
  Url := Trim(ExpandConstant('{param:SERVER|}'));
  Result := (Pos('http://', Lowercase(Url)) = 1) or (Pos('https://', Lowercase(Url)) = 1);
  if (Url <> '') and not Result then
    Log('/SERVER ignored: not an http(s) URL: ' + Url);
end;
