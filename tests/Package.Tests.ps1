# The installable package as users get it: published to a folder repository, saved with PSResourceGet, imported by
# name in a fresh pwsh with an empty HANDWRITE_HOME, libtorch fetched on first use, the shipped model reading digits.
# build.ps1 -Test writes the package (out/packages) before the tests run.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support' 'HandWrite.TestSupport.psm1') -Force
    $paths = Get-TestPath
    $version = (Import-PowerShellDataFile -LiteralPath $paths.ModuleManifest).ModuleVersion
    $nupkg = Join-Path $paths.RepoRoot 'out' 'packages' "HandWrite.$version.nupkg"
    if (-not (Test-Path -LiteralPath $nupkg)) { throw "$nupkg is missing: run ./build.ps1 -Package (build.ps1 -Test does)." }

    $work = New-TestFolder 'package'
    $repository = New-Item -ItemType Directory -Path (Join-Path $work 'repository')
    Copy-Item -LiteralPath $nupkg -Destination $repository
    $modules = (New-Item -ItemType Directory -Path (Join-Path $work 'modules')).FullName
    $repositoryName = "HandWriteTest$PID"
    Register-PSResourceRepository -Name $repositoryName -Uri $repository.FullName -Trusted
    try { Save-PSResource -Name HandWrite -Version $version -Repository $repositoryName -Path $modules -TrustRepository }
    finally { Unregister-PSResourceRepository -Name $repositoryName }

    # Clear digits of every class, drawn from MNIST training samples as a person's pictures (dark ink on white).
    $pictures = New-Item -ItemType Directory -Path (Join-Path $work 'pictures')
    foreach ($digit in 0..9) { $null = New-DigitPicture -Path (Join-Path $pictures "$digit.png") -Digit $digit -Skip 40 -Style @{ Width = 120; Height = 120 } }

    # libtorch for the installed module, from a loopback server laid out as NuGet's flat container, serving the very
    # package restore put in the NuGet cache (what the module would download from NuGet).
    $libtorchId = 'libtorch-cpu-linux-x64'
    $libtorchVersion = ([xml](Get-Content -Raw (Join-Path $paths.RepoRoot 'Directory.Build.props'))).Project.PropertyGroup.LibTorchPackageVersion | Where-Object { $_ } | Select-Object -First 1
    $nugetRoot = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget' 'packages' }
    $libtorchPackage = Join-Path $nugetRoot $libtorchId $libtorchVersion "$libtorchId.$libtorchVersion.nupkg"
    $port = Get-Random -Minimum 20000 -Maximum 60000
    $source = "http://127.0.0.1:$port/"
    # The listener is made here so that AfterAll can stop it: a GetContext() blocked in the server's runspace cannot be
    # interrupted by stopping that runspace, only by stopping the listener.
    $listener = [System.Net.HttpListener]::new()
    $listener.Prefixes.Add($source)
    $listener.Start()
    $server = [powershell]::Create().AddScript({
        param($Listener, $File)
        try {
            while ($Listener.IsListening) {
                $context = $Listener.GetContext()
                "GET $($context.Request.Url.AbsolutePath)"
                $stream = [System.IO.File]::OpenRead($File)
                try { $context.Response.ContentLength64 = $stream.Length; $stream.CopyTo($context.Response.OutputStream) }
                finally { $stream.Dispose(); $context.Response.Close() }
            }
        } catch [System.Net.HttpListenerException], [System.ObjectDisposedException] {
            # AfterAll stopped the listener
        }
    }).AddArgument($listener).AddArgument($libtorchPackage)
    $serverOutput = [System.Management.Automation.PSDataCollection[psobject]]::new()
    $serving = $server.BeginInvoke([System.Management.Automation.PSDataCollection[psobject]]::new(), $serverOutput)

    # A failing command's ErrorRecord as lines (id=, category=, message=) and exit 1: ConciseView on stderr shows no id.
    $describeFailure = 'try { COMMAND -ErrorAction Stop } catch { "id=$($_.FullyQualifiedErrorId)"; "category=$($_.CategoryInfo.Category)"; "message=$($_.ErrorDetails.Message)"; exit 1 }'

    function Invoke-Installed([string] $Command, [string] $HomeFolder, [hashtable] $Environment = @{}) {
        # Only the saved package and pwsh's own modules on the module path: no build tree.
        $variables = @{
            PSModulePath = $modules + [IO.Path]::PathSeparator + (Join-Path $PSHOME 'Modules')
            HANDWRITE_HOME = $HomeFolder; HANDWRITE_DATA = ''; HANDWRITE_MODEL = ''; HANDWRITE_RUNTIME_SOURCE = $source
        }
        foreach ($name in $Environment.Keys) { $variables[$name] = $Environment[$name] }
        Invoke-TestPwsh -NoImport -Command $Command -Environment $variables -WorkingDirectory $pictures -TimeoutSeconds 600
    }
}

AfterAll {
    if ($listener) { $listener.Stop(); $listener.Close() }
    if ($server) { $null = $serving.AsyncWaitHandle.WaitOne(10000); $server.Dispose() }
}

Describe 'HandWrite package' {
    It 'is a module package of a few MB: no libtorch inside, the shipped model and its note inside' {
        (Get-Item -LiteralPath $nupkg).Length | Should -BeLessThan 50MB
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [System.IO.Compression.ZipFile]::OpenRead($nupkg)
        try { $entries = @($zip.Entries.FullName) } finally { $zip.Dispose() }
        $entries | Should -Contain 'HandWrite.psd1'
        $entries | Should -Contain 'HandWrite.PowerShell.dll'
        $entries | Should -Contain 'HandWrite.default.hwm'
        $entries | Should -Contain 'HandWrite.default.provenance.json'
        $entries | Where-Object { $_ -cmatch '^(libtorch|libc10|libgomp)' } | Should -BeNullOrEmpty -Because 'libtorch comes on first use (libLibTorchSharp.so, TorchSharp''s glue, ships)'
        (Get-Item -LiteralPath (Join-Path $modules 'HandWrite' $version 'HandWrite.psd1')).Name | Should -Be 'HandWrite.psd1'
    }

    It 'installs with PSResourceGet and reads pictures by name in a fresh pwsh: libtorch fetched once, no training, no MNIST' {
        $homeFolder = New-TestFolder 'installed-home'
        $run = Invoke-Installed -HomeFolder $homeFolder -Command @'
            Import-Module HandWrite
            "base=$((Get-Module HandWrite).ModuleBase)"
            Get-ChildItem *.png | Get-DigitPrediction | ForEach-Object { "$($_.Name)=$($_.Digit)" }
            $model = Get-DigitModel
            "model=$($model.Name) recipe=$($model.Recipe) test=$($model.TestAccuracy)"
'@
        $run.Error | Should -BeNullOrEmpty
        $run.ExitCode | Should -Be 0
        $lines = $run.Output -split "`n" | ForEach-Object Trim | Where-Object { $_ }
        $lines | Where-Object { $_ -like 'base=*' } | Should -Be "base=$(Join-Path $modules 'HandWrite' $version)"
        foreach ($digit in 0..9) { $lines | Should -Contain "$digit.png=$digit" }
        $lines | Where-Object { $_ -like 'model=*' } | Should -Match '^model=HandWrite\.default\.hwm recipe=Invoke-DigitTraining.* test=0\.99\d*$'
        # libtorch came from the (loopback) NuGet flat container, once, and was unpacked per user.
        # By index: enumerating a PSDataCollection the server still writes to would wait for it to close.
        $requests = @(for ($i = 0; $i -lt $serverOutput.Count; $i++) { $serverOutput[$i] })
        $requests | Should -Be @("GET /$libtorchId/$libtorchVersion/$libtorchId.$libtorchVersion.nupkg")
        Test-Path -LiteralPath (Join-Path $homeFolder 'runtime' $libtorchId $libtorchVersion 'libtorch_cpu.so') | Should -BeTrue
        Get-ChildItem -LiteralPath $homeFolder -Recurse -Filter *.nupkg | Should -BeNullOrEmpty
        Get-ChildItem -LiteralPath $homeFolder -Recurse -Filter *.hwm | Should -BeNullOrEmpty
        Test-Path -LiteralPath (Join-Path $homeFolder 'mnist') | Should -BeFalse
    }

    It 'offline, says in one error where to copy the package file, and works from that file' {
        $homeFolder = New-TestFolder 'offline-home'
        $offline = Invoke-Installed -HomeFolder $homeFolder -Environment @{ HANDWRITE_RUNTIME_SOURCE = 'http://127.0.0.1:9/' } -Command $describeFailure.Replace('COMMAND', 'Get-DigitPrediction 7.png')
        $offline.ExitCode | Should -Be 1
        $copyTo = Join-Path $homeFolder 'runtime' "$libtorchId.$libtorchVersion.nupkg"
        $offline.Output | Should -Match 'id=HandWrite.RuntimeResourceUnavailable,HandWrite.PowerShell.GetDigitPredictionCommand'
        $offline.Output | Should -Match 'category=ResourceUnavailable'
        $offline.Output | Should -Match ([regex]::Escape("copy the file to '$copyTo'"))
        # The user copies the package over; the next command verifies it and reads the digit, without the network.
        Copy-Item -LiteralPath $libtorchPackage -Destination $copyTo
        $copied = Invoke-Installed -HomeFolder $homeFolder -Environment @{ HANDWRITE_RUNTIME_SOURCE = 'http://127.0.0.1:9/' } -Command 'Get-DigitPrediction 7.png | ForEach-Object Digit'
        $copied.Error | Should -BeNullOrEmpty
        $copied.Output.Trim() | Should -Be '7'
    }

    It 'a native library that cannot load gives one error naming the platform, what was tried and what to do' {
        $homeFolder = New-TestFolder 'broken-home'
        $runtime = New-Item -ItemType Directory -Path (Join-Path $homeFolder 'runtime' $libtorchId $libtorchVersion)
        $native = Join-Path $nugetRoot $libtorchId $libtorchVersion 'runtimes' 'linux-x64' 'native'
        foreach ($library in 'libgomp-98b21ff3.so.1', 'libc10.so', 'libtorch.so') { Copy-Item -LiteralPath (Join-Path $native $library) -Destination $runtime }
        Set-Content -LiteralPath (Join-Path $runtime 'libtorch_cpu.so') -Value 'not an ELF file' # damaged, e.g. a disk error
        $run = Invoke-Installed -HomeFolder $homeFolder -Command $describeFailure.Replace('COMMAND', 'Get-DigitPrediction 7.png')
        $run.ExitCode | Should -Be 1
        $run.Output | Should -Match 'id=HandWrite.RuntimeNotInstalled,HandWrite.PowerShell.GetDigitPredictionCommand'
        $run.Output | Should -Match 'category=NotInstalled'
        $run.Output | Should -Match 'message=libtorch could not be loaded on .*\(linux-x64, glibc \d+\.\d+, libstdc\+\+ '
        $run.Output | Should -Match ([regex]::Escape("Tried: $(Join-Path $runtime 'libgomp-98b21ff3.so.1')"))
        $run.Output | Should -Match ([regex]::Escape((Join-Path $runtime 'libtorch_cpu.so')))
        $run.Output | Should -Match "What to do: delete '$([regex]::Escape((Join-Path $homeFolder 'runtime')))'"
    }
}
