# The scripts in examples/ as users run them (in pwsh with the module imported, small arguments), and what a pwsh user
# sees of HandWrite from a shell: pwsh -Command and -File, exit codes, stderr, the default model from the environment.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support' 'HandWrite.TestSupport.psm1') -Force
    Import-Module (Get-TestPath).ModuleManifest
    $model = Get-TestModel
    $examples = Join-Path (Get-TestPath).RepoRoot 'examples'
    # Three pictures of each digit: labeled/<digit>/<n>.png ("labeled" is the DataSet name Test-DigitModel shows).
    $labeled = New-LabeledDigitFolder -Path (Join-Path (New-TestFolder 'examples') 'labeled') -PerDigit 3

    function Invoke-Example {
        <#
        Runs -Command in a child pwsh (module imported) in a new folder, with the environment variables given, and
        returns ExitCode, Output, Error, Folder, and Result: what -Command left in $result, read back from JSON. The
        run must succeed quietly: exit code 0, nothing on stderr, no libtorch warning.
        #>
        param([Parameter(Mandatory)][string] $Command, [hashtable] $Environment = @{}, [string] $Name = 'example')
        $folder = New-TestFolder $Name
        $json = Join-Path $folder 'result.json'
        $run = Invoke-TestPwsh -Command "$Command`n`$result | ConvertTo-Json -Depth 5 | Set-Content -LiteralPath '$json'" -Environment $Environment -WorkingDirectory $folder
        $run.ExitCode | Should -Be 0 -Because "the example succeeds:`n$($run.Output)`n$($run.Error)"
        $run.Error | Should -BeNullOrEmpty
        $run.Output | Should -Not -Match 'NNPACK'
        $run | Add-Member -PassThru -NotePropertyMembers @{ Folder = $folder; Result = Get-Content -Raw -LiteralPath $json | ConvertFrom-Json }
    }
}

Describe 'examples/' {
    It 'train-and-test.ps1 trains, tests on the MNIST test set and gathers the charts in -ReportFolder' {
        $run = Invoke-Example -Name 'train-and-test' -Environment @{ EXAMPLES = $examples } -Command @'
            $test = & (Join-Path $env:EXAMPLES 'train-and-test.ps1') -Epochs 1 -Subset 300 -ValidationSize 100 -ModelPath ./example.hwm -ReportFolder ./report
            $result = [pscustomobject]@{ Type = $test.PSObject.TypeNames[0]; DataSet = $test.DataSet; Count = $test.Count; ModelPath = $test.ModelPath
                                         ReportFiles = @($test.ReportFiles) }
'@
        $run.Result.Type | Should -Be 'HandWrite.ModelTestResult'
        $run.Result.DataSet | Should -Be 'MNIST test'
        $run.Result.Count | Should -Be 10000
        $run.Result.ModelPath | Should -Be (Join-Path $run.Folder 'example.hwm')
        $run.Result.ModelPath | Should -Exist
        $run.Result.ReportFiles | Should -HaveCount 2
        foreach ($file in $run.Result.ReportFiles) {
            $file | Should -Exist
            Split-Path $file | Should -Be (Join-Path $run.Folder 'report')
        }
        $run.Output | Should -Match 'Trained 1 epoch\(s\) in \d\d:\d\d:\d\d; best validation accuracy \d+[.,]\d\d ?% at epoch 1\.'
        $run.Output | Should -Match 'Test accuracy on MNIST test: \d+[.,]\d\d ?% \(\d+ of 10000\)\.'
        $curve = [regex]::Match($run.Output, 'Charts: ([^,\r\n]+\.png),').Groups[1].Value
        $curve | Should -Exist
    }

    It 'predict-folder.ps1 reads a folder tree (-Recurse) or a flat folder, sums up the digits and saves the CSV' {
        $flat = New-TestFolder 'flat'
        foreach ($d in 1, 4, 7) { $null = New-DigitPicture -Path (Join-Path $flat "$d.png") -Digit $d }
        $run = Invoke-Example -Name 'predict-folder' -Environment @{ EXAMPLES = $examples; MODEL = $model; LABELED = $labeled; FLAT = $flat } -Command @'
            $script = Join-Path $env:EXAMPLES 'predict-folder.ps1'
            $tree = & $script $env:LABELED -Recurse -ModelPath $env:MODEL -CsvPath ./p.csv
            $flat = & $script $env:FLAT -ModelPath $env:MODEL
            $result = [pscustomobject]@{ Tree = @($tree.Path); TreeTypes = @($tree | ForEach-Object { $_.PSObject.TypeNames[0] } | Sort-Object -Unique)
                                         Flat = @($flat.Path) }
'@
        $files = @(Get-ChildItem -LiteralPath $labeled -Recurse -File | ForEach-Object FullName)
        $files | Should -HaveCount 30
        @($run.Result.Tree | Sort-Object) | Should -Be @($files | Sort-Object)
        $run.Result.TreeTypes | Should -Be 'HandWrite.DigitPrediction'
        @($run.Result.Flat | Sort-Object) | Should -Be @(Get-ChildItem -LiteralPath $flat -File | ForEach-Object FullName | Sort-Object)
        $csv = @(Import-Csv -LiteralPath (Join-Path $run.Folder 'p.csv'))
        $csv | Should -HaveCount 30
        $csv[0].PSObject.Properties.Name | Should -Be 'Path', 'Digit', 'Confidence', 'LowConfidence', 'Reason'
        $run.Output | Should -Match 'Digit\s+Count'
        $run.Output | Should -Match ('Saved ' + [regex]::Escape('./p.csv'))
    }

    It 'compare-models.ps1 ranks the models of a folder on a labeled folder, and says so when a folder holds none' {
        $models = New-TestFolder 'models'
        Copy-Item -LiteralPath $model -Destination (Join-Path $models 'a.hwm')
        Copy-Item -LiteralPath $model -Destination (Join-Path $models 'b.hwm')
        Set-Content -LiteralPath (Join-Path $models 'notes.txt') -Value 'not a model'
        $empty = New-TestFolder 'no-models'
        $run = Invoke-Example -Name 'compare-models' -Environment @{ EXAMPLES = $examples; MODELS = $models; LABELED = $labeled; EMPTY = $empty } -Command @'
            $script = Join-Path $env:EXAMPLES 'compare-models.ps1'
            $ranking = & $script $env:MODELS -LabeledFolder $env:LABELED
            $none = try { & $script $env:EMPTY; 'no error' } catch { $_.Exception.Message }
            $result = [pscustomobject]@{ Ranking = @($ranking | Select-Object Model, TestAccuracy, Epochs, Path); None = $none }
'@
        $run.Result.Ranking.Model | Sort-Object | Should -Be 'a.hwm', 'b.hwm'
        $run.Result.Ranking.Path | Sort-Object | Should -Be (Join-Path $models 'a.hwm'), (Join-Path $models 'b.hwm')
        $run.Result.Ranking.Epochs | Should -Be 1, 1
        $run.Result.Ranking[0].TestAccuracy | Should -BeGreaterOrEqual $run.Result.Ranking[1].TestAccuracy
        $run.Result.Ranking[0].TestAccuracy | Should -Be $run.Result.Ranking[1].TestAccuracy -Because 'the two files hold the same weights'
        $run.Output | Should -Match 'Model\s+TestAccuracy\s+ValidationAccuracy'
        $run.Result.None | Should -BeLike "No .hwm model files in $empty.*"
    }

    It 'train-ensemble.ps1 trains its members, tests them and their ensemble, and keeps trained members when run again' {
        $run = Invoke-Example -Name 'train-ensemble' -Environment @{ EXAMPLES = $examples; LABELED = $labeled } -Command @'
            $ensemble = @{ Count = 2; Epochs = 1; Subset = 300; ValidationSize = 100; Folder = './ensemble'; LabeledFolder = $env:LABELED }
            $first = & (Join-Path $env:EXAMPLES 'train-ensemble.ps1') @ensemble
            $again = & (Join-Path $env:EXAMPLES 'train-ensemble.ps1') @ensemble
            $result = [pscustomobject]@{
                First = $first | Select-Object @{ n = 'Type'; e = { $_.PSObject.TypeNames[0] } }, ModelPath, DataSet, Count, Correct
                Again = $again | Select-Object ModelPath, Count, Correct }
'@
        $members = (Join-Path $run.Folder 'ensemble' 'seed1.hwm'), (Join-Path $run.Folder 'ensemble' 'seed2.hwm')
        $members | Should -Exist
        $run.Result.First.Type | Should -Be 'HandWrite.ModelTestResult'
        $run.Result.First.ModelPath | Should -Be ($members -join ', ')
        $run.Result.First.DataSet | Should -Be $labeled
        $run.Result.First.Count | Should -Be 30
        ([regex]::Matches($run.Output, 'Training seed\d\.hwm \(1 epoch\(s\)\)\.\.\.')).Count | Should -Be 2
        ([regex]::Matches($run.Output, 'seed\d\.hwm is already trained; kept\.')).Count | Should -Be 2 -Because 'the second run trains nothing'
        $run.Result.Again.ModelPath | Should -Be $run.Result.First.ModelPath
        $run.Result.Again.Correct | Should -Be $run.Result.First.Correct
        $run.Output | Should -Match ('Read images with the ensemble: Get-DigitPrediction <images> -ModelPath ' + [regex]::Escape($members -join ', '))
        $run.Output | Should -Match 'ensemble of 2'
    }

    It 'wild-digits-report.ps1 makes its table from a folder of set/digit/picture files, composing its numbers in TMPDIR' {
        # Two "sets" (writers) of made pictures stand in for the wild digits; the composed numbers go to TMPDIR.
        $sets = New-TestFolder 'wild'
        $null = New-LabeledDigitFolder -Path (Join-Path $sets 'paint') -PerDigit 2
        $null = New-LabeledDigitFolder -Path (Join-Path $sets 'scan') -PerDigit 2 -Style @{ Width = 120; Height = 90; Ink = '#1a237e'; Noise = 6 }
        $temp = New-TestFolder 'tmp'
        $run = Invoke-Example -Name 'wild-digits-report' -Environment @{ EXAMPLES = $examples; SETS = $sets; MODEL = $model; TMPDIR = $temp } -Command @'
            $result = @(& (Join-Path $env:EXAMPLES 'wild-digits-report.ps1') $env:SETS -BestModel $env:MODEL -SeedModel $env:MODEL -Numbers 5)
'@
        $rows = @($run.Result)
        $rows.Recipe | Should -Be 'Naive preprocessing, Best model', 'HandWrite, Seed model', 'HandWrite, Best model'
        foreach ($row in $rows) {
            $row.PSObject.Properties.Name | Should -Be 'Recipe', 'paint', 'scan', 'All', 'Numbers exact'
            $row.paint, $row.scan, $row.All | Should -Match '^\d+[.,]\d ?%$'
        }
        $rows[0].'Numbers exact' | Should -Be 'n/a'
        $rows[1].'Numbers exact' | Should -Match '^\d/5 \(\d+[.,]\d ?%\)$'
        $rows[2].'Numbers exact' | Should -Match '^\d/5 \(\d+[.,]\d ?%\)$'
        @(Get-ChildItem -LiteralPath $temp -Force) | Should -BeNullOrEmpty -Because 'the composed numbers are removed afterwards'
    }
}

Describe 'pwsh running HandWrite from a shell' {
    It "runs README's pipeline with the default model path from HANDWRITE_HOME and prints the test table" {
        $home_ = New-TestFolder 'home'
        $run = Invoke-TestPwsh -Environment @{ HANDWRITE_HOME = $home_; LABELED = $labeled } -Command @'
            Invoke-DigitTraining -Subset 300 -Epochs 1 -ValidationSize 100 | Test-DigitModel -LabeledFolder $env:LABELED
'@
        $run.ExitCode | Should -Be 0 -Because $run.Error
        $run.Error | Should -BeNullOrEmpty
        $run.Output | Should -Match 'handwrite\.hwm\s+labeled\s+\d+[.,]\d\d ?%\s+\d+\s+30\s' -Because 'the ModelTestResult table names the default model and the folder'
        Join-Path $home_ 'handwrite.hwm' | Should -Exist
        $run.Output + $run.Error | Should -Not -Match 'NNPACK'
    }

    It 'exits with 1, the error on stderr and nothing on stdout, when the last command fails' {
        $missing = "/no/such/folder/$([guid]::NewGuid().ToString('N')).hwm"
        $run = Invoke-TestPwsh -Command "Get-DigitModel -ModelPath $missing"
        $run.ExitCode | Should -Be 1
        $run.Error | Should -Match ([regex]::Escape($missing))
        $run.Output.Trim() | Should -BeNullOrEmpty
        $run.Output + $run.Error | Should -Not -Match 'NNPACK'
    }

    It 'runs a script with pwsh -File, passing its arguments and returning its exit code (module found on PSModulePath)' {
        # The script does not import the module: as for an installed module, pwsh loads it on first use from PSModulePath.
        $script = Join-Path (New-TestFolder 'file') 'check.ps1'
        Set-Content -LiteralPath $script -Value @'
param($ModelPath)
$info = Get-DigitModel $ModelPath
"epochs=$($info.Epochs)"
exit 7
'@
        $modules = Split-Path (Split-Path (Get-TestPath).ModuleManifest)
        $run = Invoke-TestPwsh -NoImport -Environment @{ PSModulePath = $modules; SCRIPT = $script; MODEL = $model } -Command @'
            & (Join-Path $PSHOME 'pwsh') -NoProfile -NonInteractive -File $env:SCRIPT $env:MODEL
            exit $LASTEXITCODE
'@
        $run.ExitCode | Should -Be 7
        $run.Output | Should -Match 'epochs=1'
        $run.Error | Should -BeNullOrEmpty
        $run.Output + $run.Error | Should -Not -Match 'NNPACK'
    }

    It 'uses HANDWRITE_MODEL when no -ModelPath is given' {
        $run = Invoke-TestPwsh -WorkingDirectory $labeled -Environment @{ HANDWRITE_MODEL = $model; HANDWRITE_HOME = (New-TestFolder 'empty-home') } -Command @'
            (Get-DigitModel).Path
            Get-DigitPrediction -LiteralPath (Get-ChildItem -Recurse -Filter *.png | Select-Object -First 1) | ForEach-Object Digit
'@
        $run.ExitCode | Should -Be 0 -Because $run.Error
        $lines = @($run.Output -split '\r?\n' | ForEach-Object Trim | Where-Object { $_ })
        $lines[0] | Should -Be $model
        $lines[1] | Should -Match '^[0-9]$'
        $lines | Should -HaveCount 2
        $run.Output + $run.Error | Should -Not -Match 'NNPACK'
    }
}
