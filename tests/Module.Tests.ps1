# The assembled module as pwsh sees it: its views, tab completion, and the precompiled assemblies it loads at start.
# (Exports and the pwsh version it needs: Manifest.Tests.ps1; help: Help.Tests.ps1; what the views show of real results:
# the files whose cmdlets make them.)
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support' 'HandWrite.TestSupport.psm1') -Force
    Import-Module (Get-TestPath).ModuleManifest
}

Describe 'HandWrite.Format.ps1xml' {
    It 'gives <TypeName> a table as its default view, and a list view: <HasList>' -ForEach @(
        @{ TypeName = 'HandWrite.TrainingResult'; HasList = $true }
        @{ TypeName = 'HandWrite.ModelTestResult'; HasList = $true }
        @{ TypeName = 'HandWrite.DigitPrediction'; HasList = $true }
        @{ TypeName = 'HandWrite.NumberPrediction'; HasList = $false }
        @{ TypeName = 'HandWrite.ModelInfo'; HasList = $true }
        @{ TypeName = 'HandWrite.BenchmarkResult'; HasList = $true }
        @{ TypeName = 'HandWrite.PowerShell.TrainingEpoch'; HasList = $false }
        @{ TypeName = 'HandWrite.PowerShell.DigitClassMetrics'; HasList = $false }
        @{ TypeName = 'HandWrite.PowerShell.DataSetAccuracy'; HasList = $false }
        @{ TypeName = 'HandWrite.PowerShell.DigitProbability'; HasList = $false }
    ) {
        $controls = @((Get-FormatData -TypeName $TypeName).FormatViewDefinition | ForEach-Object { $_.Control.GetType().Name })
        $controls[0] | Should -Be 'TableControl' -Because 'the first view is the default'
        $controls -contains 'ListControl' | Should -Be $HasList
    }
}

Describe 'Tab completion of -ModelPath' {
    BeforeAll {
        $folder = New-TestFolder 'complete'
        $null = New-Item -ItemType File -Path (Join-Path $folder 'alpha.hwm'), (Join-Path $folder 'alpha.txt')
        $null = New-Item -ItemType Directory -Path (Join-Path $folder 'archive')
    }

    It 'offers model files and folders, not other files, for <Line>' -ForEach @(
        @{ Line = 'Get-DigitPrediction x.png -ModelPath a' }
        @{ Line = 'Test-DigitModel -ModelPath a' }
        @{ Line = 'Invoke-DigitTraining -ModelPath a' }
        @{ Line = 'Get-DigitModel a' }
        @{ Line = 'Measure-DigitModel -ModelPath a' }
    ) {
        Push-Location -LiteralPath $folder
        try {
            $completions = (TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches
        }
        finally { Pop-Location }
        @($completions.CompletionText | Sort-Object -CaseSensitive) | Should -Be @('alpha.hwm', "archive$([IO.Path]::DirectorySeparatorChar)")
    }
}

Describe 'The module''s assemblies (src/ReadyToRun.targets)' {
    BeforeAll {
        $moduleFolder = Split-Path (Get-TestPath).ModuleManifest
        function Test-ReadyToRun([string] $Path) {
            # A ReadyToRun image carries a managed native header in its CLI header (native libraries have no CLI header).
            $stream = [IO.File]::OpenRead($Path)
            try {
                $cli = [System.Reflection.PortableExecutable.PEReader]::new($stream).PEHeaders.CorHeader
                [bool]($cli -and $cli.ManagedNativeHeaderDirectory.Size -gt 0)
            }
            finally { $stream.Dispose() }
        }
        $precompiling = $IsLinux -and [Runtime.InteropServices.RuntimeInformation]::OSArchitecture -eq 'X64'
    }

    It '<Name> is precompiled on linux-x64, IL elsewhere' -ForEach @(
        @{ Name = 'HandWrite.PowerShell.dll' }, @{ Name = 'HandWrite.Core.dll' }, @{ Name = 'TorchSharp.dll' }, @{ Name = 'SkiaSharp.dll' }
    ) {
        Test-ReadyToRun (Join-Path $moduleFolder $Name) | Should -Be $precompiling
    }

    It 'leaves the assemblies a session does not load at start as IL' {
        Test-ReadyToRun (Join-Path $moduleFolder 'ScottPlot.dll') | Should -BeFalse
    }

    It 'never writes a precompiled image into the NuGet cache through a hard link' {
        # Package files reach bin folders as hard links into the NuGet cache (Directory.Build.props); an image written
        # into such a file in place would rewrite the cache's copy for every project on the machine.
        $root = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget' 'packages' }
        $cached = @('torchsharp', 'skiasharp') | ForEach-Object { Join-Path $root $_ } | Where-Object { Test-Path $_ } |
            ForEach-Object { Get-ChildItem -LiteralPath $_ -Recurse -Filter *.dll -File } |
            Where-Object { $_.FullName -notmatch '[\\/]ref[\\/]' }
        $cached.Count | Should -BeGreaterOrEqual 2 -Because "the packages' assemblies are under $root"
        @($cached | Where-Object { Test-ReadyToRun $_.FullName }).FullName | Should -BeNullOrEmpty
    }
}
