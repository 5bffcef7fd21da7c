#Requires -Version 7.4
<#
.SYNOPSIS
    Builds HandWrite (module and handwrite host) and, with -Test, runs the tests.
.DESCRIPTION
    Runs `dotnet build` on HandWrite.PowerShell.sln. The build assembles the importable module in
    out/HandWrite; this script prints where it is and the Import-Module line to use it from pwsh,
    and the command that starts the handwrite host (which has the module loaded already).
.EXAMPLE
    ./build.ps1
.EXAMPLE
    ./build.ps1 -Test -Filter 'FullyQualifiedName~PowerShell'
#>
[CmdletBinding()]
param(
    # Also run the test suite after building.
    [switch] $Test,
    [ValidateSet('Release', 'Debug')]
    [string] $Configuration = 'Release',
    # A dotnet test --filter expression, to run part of the tests.
    [string] $Filter
)

$ErrorActionPreference = 'Stop'
$solution = Join-Path $PSScriptRoot 'HandWrite.PowerShell.sln'

if (-not (Get-Command dotnet -CommandType Application -ErrorAction SilentlyContinue)) {
    throw 'The .NET SDK (dotnet) is not on PATH. Install .NET SDK 10 from https://dot.net and run ./build.ps1 again.'
}

dotnet build $solution -c $Configuration --nologo
if ($LASTEXITCODE -ne 0) { throw "dotnet build failed with exit code $LASTEXITCODE; the errors are above." }

$manifest = Join-Path $PSScriptRoot 'out' 'HandWrite' 'HandWrite.psd1'
$hostDll = Join-Path $PSScriptRoot 'src' 'HandWrite.Host' 'bin' $Configuration 'net10.0' 'handwrite.dll'
foreach ($built in $manifest, $hostDll) {
    if (-not (Test-Path -LiteralPath $built)) { throw "The build succeeded but '$built' is missing; run ./build.ps1 again or report a bug." }
}

Write-Host "Module: $(Split-Path -Parent $manifest)"
Write-Host "Use it from pwsh:  Import-Module '$manifest'"
Write-Host "Or run the host:   dotnet '$hostDll' -Command 'Invoke-DigitTraining | Test-DigitModel'"

if ($Test) {
    $testArgs = @('test', $solution, '-c', $Configuration, '--no-build', '--nologo')
    if ($Filter) { $testArgs += @('--filter', $Filter) }
    dotnet @testArgs
    if ($LASTEXITCODE -ne 0) { throw "Tests failed (dotnet test exit code $LASTEXITCODE); see the failures above." }
}
