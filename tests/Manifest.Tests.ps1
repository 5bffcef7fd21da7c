# The module manifest tells the truth: the pwsh it needs, the edition, what it exports.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support' 'HandWrite.TestSupport.psm1') -Force
    $paths = Get-TestPath
    $manifest = Import-PowerShellDataFile -LiteralPath $paths.ModuleManifest
}

Describe 'HandWrite.psd1' {
    It 'needs pwsh 7.6, the first PowerShell on .NET 10 (the assemblies target net10.0), Core edition only' {
        $manifest.PowerShellVersion | Should -Be '7.6'
        $manifest.CompatiblePSEditions | Should -Be @('Core')
        [version]$manifest.PowerShellVersion | Should -BeLessOrEqual $PSVersionTable.PSVersion
        (Get-Item -LiteralPath (Join-Path (Split-Path $paths.ModuleManifest) 'HandWrite.PowerShell.dll')).Length | Should -BeGreaterThan 0
        [System.Reflection.AssemblyName]::GetAssemblyName((Join-Path (Split-Path $paths.ModuleManifest) 'HandWrite.PowerShell.dll')).Version | Should -Not -BeNullOrEmpty
    }

    It 'exports exactly the cmdlets it lists, and nothing else' {
        $module = Import-Module $paths.ModuleManifest -PassThru -Force
        @($module.ExportedCmdlets.Keys | Sort-Object) | Should -Be @($manifest.CmdletsToExport | Sort-Object)
        $module.ExportedFunctions.Count | Should -Be 0
        $module.ExportedAliases.Count | Should -Be 0
        $module.ExportedVariables.Count | Should -Be 0
    }

    It 'refuses an older pwsh with one sentence naming the version it needs' {
        # No older pwsh runs here, so the check is shown the other way round: the same manifest asking for a pwsh newer
        # than this one is refused by Import-Module before any assembly loads, as 7.4 or 7.5 refuse '7.6'.
        $copy = New-TestFolder 'manifest'
        Copy-Item -Path (Join-Path (Split-Path $paths.ModuleManifest) '*') -Destination $copy -Recurse
        $psd1 = Join-Path $copy 'HandWrite.psd1'
        $text = Get-Content -Raw $psd1
        $text -match "PowerShellVersion\s*=\s*'7\.6'" | Should -BeTrue -Because 'the copy is changed only where the real manifest says 7.6'
        $text -replace "PowerShellVersion\s*=\s*'7\.6'", "PowerShellVersion = '99.0'" | Set-Content -LiteralPath $psd1
        $run = Invoke-TestPwsh -NoImport -Command "Import-Module '$psd1' -ErrorAction Stop"
        $run.ExitCode | Should -Be 1
        $run.Error | Should -Match "requires a minimum PowerShell version of '99.0'"
        $run.Error | Should -Not -Match 'Could not load'
    }
}
