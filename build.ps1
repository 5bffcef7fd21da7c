#Requires -Version 7.6
<#
.SYNOPSIS
    Builds the HandWrite module into out/HandWrite and, with -Test, runs every test: xunit for the engine (Core),
    Pester for the module as pwsh users have it.
.DESCRIPTION
    `dotnet build` of HandWrite.PowerShell.sln assembles the importable module in out/HandWrite and restores the
    pinned Pester (Directory.Build.props, PesterVersion) into the NuGet cache.

    -Test then runs, each in a process of its own, the xunit tests (tests/HandWrite.Tests) and the Pester tests
    (tests/*.Tests.ps1, importing out/HandWrite). Tests keep everything inside the clone: MNIST is obtained by
    HandWrite itself into out/test-cache/mnist (kept between runs), everything else goes to out/test-run (emptied at
    the start); HANDWRITE_HOME, HANDWRITE_DATA and HANDWRITE_MODEL are set for the tests only. Results: xunit's TRX
    and Pester's NUnit XML in out/test-results. The last line is the total, `N passed, N failed, N skipped`; the
    script fails (exit code 1) when any test failed or a suite did not complete.
    -Package writes out/packages/HandWrite.<version>.nupkg with Publish-PSResource to a folder repository: the module
    without libtorch's native libraries (an installed module fetches them on first use, verified by SHA-512).
.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1 -Test

    Builds and runs every test, as README and CI do.
.EXAMPLE
    dotnet pwsh ./build.ps1 -Test -Suite Module -PesterPath tests/Prediction.Tests.ps1

    Runs one Pester file against the freshly built module.
#>
[CmdletBinding()]
param(
    # Also run the tests after building.
    [switch] $Test,
    # Also write the installable package, out/packages/HandWrite.<version>.nupkg (without libtorch: see README, Install).
    # -Test writes it too, for the package test.
    [switch] $Package,
    # Retrain the model that ships with the module by README's recipe (Invoke-DigitTraining with its defaults), test it on
    # the MNIST test set, and write module/HandWrite.default.hwm with its note (.provenance.json). About 10 minutes.
    [switch] $DefaultModel,
    [ValidateSet('Release', 'Debug')]
    [string] $Configuration = 'Release',
    # Which tests: All, Core (xunit) or Module (Pester).
    [ValidateSet('All', 'Core', 'Module')]
    [string] $Suite = 'All',
    # A dotnet test --filter expression, to run part of the xunit tests.
    [string] $Filter,
    # Pester files or folders to run instead of tests/*.Tests.ps1.
    [string[]] $PesterPath
)

$ErrorActionPreference = 'Stop'
$root = $PSScriptRoot
$solution = Join-Path $root 'HandWrite.PowerShell.sln'

if (-not (Get-Command dotnet -CommandType Application -ErrorAction Ignore)) {
    throw 'The .NET SDK (dotnet) is not on PATH. Install .NET SDK 10 from https://dot.net and run ./build.ps1 again.'
}

dotnet build $solution -c $Configuration --nologo
if ($LASTEXITCODE -ne 0) { throw "dotnet build failed with exit code $LASTEXITCODE; the errors are above." }
$manifest = Join-Path $root 'out' 'HandWrite' 'HandWrite.psd1'
if (-not (Test-Path -LiteralPath $manifest)) { throw "The build succeeded but '$manifest' is missing; run ./build.ps1 again or report a bug." }
Write-Host "Module: $(Split-Path -Parent $manifest)    Import-Module '$manifest'"

if ($DefaultModel) {
    $work = Join-Path $root 'out' 'default-model'
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore
    & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -Command {
        param($Manifest, $Work, $ModuleSource)
        $ErrorActionPreference = 'Stop'
        Import-Module $Manifest
        $trained = Invoke-DigitTraining -ModelPath (Join-Path $Work 'HandWrite.default.hwm') -Verbose
        $test = $trained | Test-DigitModel
        $test | Format-Table | Out-Host
        $model = Get-DigitModel -LiteralPath $trained.ModelPath
        foreach ($folder in $ModuleSource, (Split-Path $Manifest)) {
            Copy-Item -LiteralPath $model.Path -Destination $folder
            [pscustomobject]@{
                WeightsSha256 = $model.WeightsSha256
                Recipe        = "Invoke-DigitTraining with its defaults ($($model.Preset) preset, $($trained.History.Count) epochs, seed $($model.Seed); best epoch $($trained.BestEpoch) by validation)"
                TestAccuracy  = $test.Accuracy
                Measured      = "Test-DigitModel on the $($test.Count) MNIST test images"
            } | ConvertTo-Json | Set-Content -LiteralPath (Join-Path $folder 'HandWrite.default.provenance.json')
        }
    } -args $manifest, $work, (Join-Path $root 'module')
    if ($LASTEXITCODE -ne 0) { throw "Training the default model failed (exit code $LASTEXITCODE); the errors are above." }
}

if ($Package -or $Test) {
    # The package is the built module less libtorch's own files, which TorchSharp-cpu's libtorch package holds.
    # Versions live in Directory.Build.props; restore put the packages in the NuGet cache (the Pester step below uses both).
    $props = ([xml](Get-Content -Raw (Join-Path $root 'Directory.Build.props'))).Project.PropertyGroup
    function Get-BuildProperty([string] $Name) { $props.$Name | Where-Object { $_ } | Select-Object -First 1 }
    $packagesRoot = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { ((dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', '').Trim() }
    $libtorchId = Get-BuildProperty LibTorchPackageId
    $libtorchVersion = Get-BuildProperty LibTorchPackageVersion
    $libtorchFiles = @(Get-ChildItem (Join-Path $packagesRoot $libtorchId.ToLowerInvariant() $libtorchVersion 'runtimes' 'linux-x64' 'native') -File).Name
    if ($libtorchFiles.Count -eq 0) { throw "No $libtorchId $libtorchVersion in '$packagesRoot': run dotnet restore." }
    $staging = Join-Path $root 'out' 'package' 'HandWrite'
    Remove-Item -LiteralPath (Split-Path $staging) -Recurse -Force -ErrorAction Ignore
    $null = New-Item -ItemType Directory -Force -Path $staging
    Get-ChildItem -LiteralPath (Split-Path -Parent $manifest) | Where-Object Name -NotIn $libtorchFiles |
        Copy-Item -Destination $staging -Recurse
    $packages = New-Item -ItemType Directory -Force -Path (Join-Path $root 'out' 'packages')
    $repository = "HandWriteBuild$PID"
    Register-PSResourceRepository -Name $repository -Uri $packages.FullName -Trusted
    try {
        Publish-PSResource -Path $staging -Repository $repository -SkipDependenciesCheck
    } finally {
        Unregister-PSResourceRepository -Name $repository
    }
    $version = (Import-PowerShellDataFile -LiteralPath $manifest).ModuleVersion
    $nupkg = Get-Item -LiteralPath (Join-Path $packages "HandWrite.$version.nupkg")
    Write-Host ("Package: {0} ({1:N1} MB)" -f $nupkg.FullName, ($nupkg.Length / 1MB))
}
if (-not $Test) { return }

# --- Tests -------------------------------------------------------------------------------------------------------
$results = New-Item -ItemType Directory -Force -Path (Join-Path $root 'out' 'test-results')
$run = Join-Path $root 'out' 'test-run'
Remove-Item -LiteralPath $run -Recurse -Force -ErrorAction Ignore
$null = New-Item -ItemType Directory -Force -Path $run
# For the test processes only: the product's defaults pointed into the clone (never the user's home or data beside it).
$env:HANDWRITE_HOME = Join-Path $run 'home'
$env:HANDWRITE_DATA = Join-Path $root 'out' 'test-cache' 'mnist'
$env:HANDWRITE_MODEL = $null
$env:HANDWRITE_TEST_RUN = $run
$env:NO_COLOR = '1'

$counts = [ordered]@{}

if ($Suite -in 'All', 'Core') {
    $trx = Join-Path $results 'xunit.trx'
    Remove-Item -LiteralPath $trx -ErrorAction Ignore
    $xunitArgs = @('test', (Join-Path $root 'tests' 'HandWrite.Tests'), '-c', $Configuration, '--no-build', '--nologo',
        '--logger', 'console;verbosity=normal', '--logger', "trx;LogFileName=$trx", '--results-directory', $results)
    if ($Filter) { $xunitArgs += @('--filter', $Filter) }
    dotnet @xunitArgs
    # The TRX file's counters, not the exit code: a crashed test host leaves no file or an aborted outcome.
    $counts.xunit = if (Test-Path -LiteralPath $trx) {
        $summary = ([xml](Get-Content -Raw -LiteralPath $trx)).TestRun.ResultSummary
        [pscustomobject]@{
            Passed = [int]$summary.Counters.passed; Failed = [int]$summary.Counters.failed + [int]$summary.Counters.error
            Skipped = [int]$summary.Counters.notExecuted; Complete = $summary.outcome -ne 'Aborted' -and $LASTEXITCODE -in 0, 1
        }
    } else { [pscustomobject]@{ Passed = 0; Failed = 0; Skipped = 0; Complete = $false } }
}

if ($Suite -in 'All', 'Module') {
    $pesterVersion = Get-BuildProperty PesterVersion
    $pester = Join-Path $packagesRoot 'pester' $pesterVersion 'tools' 'Pester.psd1'
    if (-not (Test-Path -LiteralPath $pester)) { throw "Pester $pesterVersion is not at '$pester': the build restores it (tests/HandWrite.Tests, PackageDownload); run ./build.ps1 again." }
    $paths = if ($PesterPath) { $PesterPath | ForEach-Object { (Resolve-Path $_).Path } } else { Join-Path $root 'tests' }
    $nunit = Join-Path $results 'pester.xml'
    $summaryFile = Join-Path $results 'pester-summary.json'
    Remove-Item -LiteralPath $nunit, $summaryFile -ErrorAction Ignore
    # A pwsh of its own, so a test that crashes its process cannot take this script with it.
    $pesterScript = {
        param($Pester, $Paths, $NUnit, $SummaryFile)
        Import-Module $Pester
        $config = New-PesterConfiguration
        $config.Run.Path = $Paths
        $config.Run.PassThru = $true
        $config.Output.Verbosity = 'Detailed'
        $config.TestResult.Enabled = $true
        $config.TestResult.OutputFormat = 'NUnitXml'
        $config.TestResult.OutputPath = $NUnit
        $result = Invoke-Pester -Configuration $config
        [pscustomobject]@{
            Passed = $result.PassedCount; Failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
            Skipped = $result.SkippedCount + $result.NotRunCount; Complete = $true
        } | ConvertTo-Json | Set-Content -LiteralPath $SummaryFile
    }
    & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -Command $pesterScript -args $pester, $paths, $nunit, $summaryFile
    $counts.Pester = if (Test-Path -LiteralPath $summaryFile) { Get-Content -Raw -LiteralPath $summaryFile | ConvertFrom-Json }
                     else { [pscustomobject]@{ Passed = 0; Failed = 0; Skipped = 0; Complete = $false } }
}

$total = [pscustomobject]@{ Passed = 0; Failed = 0; Skipped = 0 }
Write-Host ''
foreach ($name in $counts.Keys) {
    $c = $counts[$name]
    $note = if ($c.Complete) { '' } else { ' (the run did not complete: see above)' }
    Write-Host "${name}: $($c.Passed) passed, $($c.Failed) failed, $($c.Skipped) skipped$note"
    $total.Passed += $c.Passed; $total.Failed += $c.Failed; $total.Skipped += $c.Skipped
}
Write-Host "$($total.Passed) passed, $($total.Failed) failed, $($total.Skipped) skipped"
if ($total.Failed -gt 0 -or @($counts.Values | Where-Object { -not $_.Complete }).Count -gt 0) { exit 1 }
