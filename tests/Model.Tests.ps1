# Test-DigitModel, Get-DigitModel and Measure-DigitModel as a pwsh user runs them, on the run's tiny model: what they
# return and bind, their views, the files they write or not, and their errors. (Training: Training.Tests.ps1.)
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support' 'HandWrite.TestSupport.psm1') -Force
    Import-Module (Get-TestPath).ModuleManifest
    $model = Get-TestModel
    # Three training digits of each class, as a person would draw them: <folder>/labeled/<digit>/<n>.png.
    $labeled = New-LabeledDigitFolder -Path (Join-Path (New-TestFolder 'model') 'labeled') -PerDigit 3
    $tested = Test-DigitModel -ModelPath $model -LabeledFolder $labeled -ErrorAction Stop

    function ConvertTo-TextLine {
        <# What Format-Table or Format-List (-View) shows of the input in a console -Width wide: its lines, trailing spaces cut. #>
        param([Parameter(ValueFromPipeline)] $InputObject, [Parameter(Mandatory)][ValidateSet('Table', 'List')][string] $View, [int] $Width = 120)
        end {
            $text = if ($View -eq 'Table') { $input | Format-Table -DisplayError } else { $input | Format-List -DisplayError }
            $text = $text | Out-String -Width $Width
            if ($text -match '#ERR') { throw "A script block of the $View view failed (-DisplayError shows #ERR):`n$text" }
            $text -split '\r?\n' | ForEach-Object TrimEnd
        }
    }

    function Assert-ErrorRecord {
        <# One ErrorRecord as the module writes them: its ErrorId, category, target, and a message saying what to do. #>
        param($Record, [string] $ErrorId, [string] $Category, $Target, [string] $Hint)
        $Record.FullyQualifiedErrorId | Should -Be $ErrorId
        $Record.CategoryInfo.Category | Should -Be $Category
        $Record.TargetObject | Should -Be $Target
        $Record.ErrorDetails.Message | Should -Match ([regex]::Escape($Hint))
    }
}

Describe 'Test-DigitModel' {
    It 'counts every picture of a labeled folder, and its matrix and per-class figures agree' {
        $tested.PSObject.TypeNames[0] | Should -Be 'HandWrite.ModelTestResult'
        $tested.ModelPath | Should -Be $model
        $tested.DataSet | Should -Be $labeled
        $tested.Count | Should -Be 30
        $tested.Accuracy | Should -Be ($tested.Correct / 30)
        $tested.ConfusionMatrix.Count | Should -Be 10
        $tested.ConfusionMatrix | ForEach-Object { $_.Count | Should -Be 10; ($_ | Measure-Object -Sum).Sum | Should -Be 3 }
        (0..9 | ForEach-Object { $tested.ConfusionMatrix[$_][$_] } | Measure-Object -Sum).Sum | Should -Be $tested.Correct
        $tested.PerClass.Digit | Should -Be (0..9)
        $tested.PerClass.Support | Should -Be (@(3) * 10)
        $tested.ReportFiles | Should -BeNullOrEmpty
    }

    It 'tests several -ModelPath values as one ensemble, named in full in its table' {
        # The same weights twice average to themselves: the ensemble must score exactly as the model does.
        $copy = (Copy-Item -LiteralPath $model -Destination (Join-Path (New-TestFolder 'ensemble') 'copy.hwm') -PassThru).FullName
        $ensemble = @(Test-DigitModel -ModelPath $model, $copy -LabeledFolder $labeled -ErrorAction Stop)
        $ensemble.Count | Should -Be 1
        $ensemble[0].ModelPath | Should -Be "$model, $copy"
        $ensemble[0].Correct | Should -Be $tested.Correct
        $ensemble[0].Loss | Should -BeLessThan ($tested.Loss + 1e-5)
        $ensemble[0].Loss | Should -BeGreaterThan ($tested.Loss - 1e-5)
        @($ensemble | ConvertTo-TextLine -View Table) -match 'tiny\.hwm \+ copy\.hwm' | Should -Not -BeNullOrEmpty
    }

    It 'tests piped models one by one, bound by ModelPath, Path or FullName' {
        $folder = New-TestFolder 'piped'
        $copy = (Copy-Item -LiteralPath $model -Destination (Join-Path $folder 'copy.hwm') -PassThru).FullName
        $results = @(
            Get-ChildItem -LiteralPath $folder -Filter *.hwm       # FullName
            [pscustomobject]@{ ModelPath = $model }
            [pscustomobject]@{ Path = $model }
            Get-DigitModel -LiteralPath $model                     # Path
        ) | Test-DigitModel -LabeledFolder $labeled -ErrorAction Stop
        $results.ModelPath | Should -Be @($copy, $model, $model, $model)
        $results.Correct | Should -Be (@($tested.Correct) * 4)
    }

    It 'tests $env:HANDWRITE_MODEL when no -ModelPath is given' {
        $env:HANDWRITE_MODEL = $model
        try { $result = Test-DigitModel -LabeledFolder $labeled -ErrorAction Stop }
        finally { $env:HANDWRITE_MODEL = $null }
        $result.ModelPath | Should -Be $model
        $result.Correct | Should -Be $tested.Correct
    }

    It '-ReportFolder gets a confusion chart and a failure sheet named after the model; its table shows accuracy as a percentage' {
        $reports = Join-Path (New-TestFolder 'reports') 'charts'
        $result = Get-DigitModel $model | Test-DigitModel -LabeledFolder $labeled -ReportFolder $reports -ErrorAction Stop
        $result.ReportFiles | Split-Path -Leaf | Should -Be @('tiny.confusion.png', 'tiny.failures.png')
        $result.ReportFiles | Split-Path -Parent | Should -Be @($reports, $reports)
        $result.ReportFiles | ForEach-Object { [IO.File]::ReadAllBytes($_)[0..3] | Should -Be @(0x89, 0x50, 0x4E, 0x47) }
        @($result | ConvertTo-TextLine -View Table -Width 200) -match 'tiny\.hwm\s+labeled\s+\d+[.,]\d\d ?%\s+\d+\s+30\s+\d+[.,]\d{4}\s+2$' |
            Should -Not -BeNullOrEmpty
    }

    It 'shows its result in a table: model, data set, accuracy, correct, count, loss, reports' {
        $lines = $tested | ConvertTo-TextLine -View Table
        @($lines -match '^Model\s+DataSet\s+Accuracy\s+Correct\s+Count\s+Loss\s+Reports$').Count | Should -Be 1
        @($lines -match "^tiny\.hwm\s+labeled\s+\d+[.,]\d\d ?%\s+$($tested.Correct)\s+30\s+\d+[.,]\d{4}\s+0$").Count | Should -Be 1
    }

    It 'puts each table beside its label in the list view, in an 80-column console' {
        $lines = $tested | ConvertTo-TextLine -View List -Width 80
        foreach ($label in 'ModelPath', 'DataSet', 'Accuracy', 'Correct', 'Loss', 'Duration') {
            @($lines -match "^$label\s+: \S").Count | Should -Be 1 -Because "the list shows $label"
        }
        @($lines -match "^Correct\s+: $($tested.Correct) of 30$").Count | Should -Be 1
        @($lines -match '^PerSet\s+: Set\s+Accuracy\s+Correct\s+Count$').Count | Should -Be 1
        @($lines -match '^PerClass\s+: Digit\s+Precision\s+Recall\s+F1\s+Support$').Count | Should -Be 1
        @($lines -match '^ConfusionMatrix\s+: truth\\pred\s+0\s+1\s+2\s+3\s+4\s+5\s+6\s+7\s+8\s+9$').Count | Should -Be 1
        @($lines -match '^ReportFiles\s+:').Count | Should -Be 1
        $lines | Where-Object Length -GT 80 | Should -BeNullOrEmpty
    }

    It 'shows the per-class and per-set figures in tables' {
        $perClass = $tested.PerClass | ConvertTo-TextLine -View Table
        @($perClass -match '^Digit\s+Precision\s+Recall\s+F1\s+Support$').Count | Should -Be 1
        @($perClass -match '^\s+\d\s+\d+[.,]\d\d ?%\s+\d+[.,]\d\d ?%\s+\d+[.,]\d{4}\s+3$').Count | Should -Be 10
        $perSet = $tested.PerSet | ConvertTo-TextLine -View Table
        @($perSet -match '^Set\s+Accuracy\s+Correct\s+Count$').Count | Should -Be 1
        @($perSet -match "\d+[.,]\d\d ?%\s+$($tested.Correct)\s+30$").Count | Should -Be 1
    }

    It 'reports a piped model it cannot read, and still tests the others' {
        $folder = New-TestFolder 'corrupt'
        [IO.File]::WriteAllBytes((Join-Path $folder 'a.hwm'), [byte[]]::new(100))
        Copy-Item -LiteralPath $model -Destination (Join-Path $folder 'b.hwm')
        $results = Get-ChildItem -LiteralPath $folder -Filter *.hwm | Sort-Object Name |
            Test-DigitModel -LabeledFolder $labeled -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures.Count | Should -Be 1
        Assert-ErrorRecord $failures[0] -ErrorId 'HandWrite.TestInvalidData,HandWrite.PowerShell.TestDigitModelCommand' -Category InvalidData `
            -Target (Join-Path $folder 'a.hwm') -Hint 'Pass -ModelPath to a model written by Invoke-DigitTraining'
        @($results).Count | Should -Be 1
        $results.ModelPath | Should -Be (Join-Path $folder 'b.hwm')
    }

    It 'reports a -LabeledFolder <Case>, naming the folder and how to lay it out' -ForEach @(
        @{ Case = 'that does not exist'; Make = $false; Hint = '-LabeledFolder takes a folder of images in subfolders named 0 to 9' }
        @{ Case = 'with no digit folders'; Make = $true; Hint = 'Lay them out as <folder>/<digit>/<image>' }
    ) {
        $folder = Join-Path (New-TestFolder 'unlabeled') 'pictures'
        if ($Make) { $null = New-DigitPicture -Path (Join-Path (New-Item -ItemType Directory -Path $folder) '7.png') -Digit 7 }
        $result = Test-DigitModel -ModelPath $model -LabeledFolder $folder -ErrorVariable failures -ErrorAction SilentlyContinue
        $result | Should -BeNullOrEmpty
        $failures.Count | Should -Be 1
        Assert-ErrorRecord $failures[0] -ErrorId 'HandWrite.TestNotFound,HandWrite.PowerShell.TestDigitModelCommand' -Category ObjectNotFound `
            -Target $folder -Hint $Hint
    }

    It 'reports a -ReportFolder it cannot write to, and still returns the test result' {
        $blocker = New-Item -ItemType File -Path (Join-Path (New-TestFolder 'unwritable-reports') 'file')
        $reports = Join-Path $blocker 'charts'
        $result = Test-DigitModel -ModelPath $model -LabeledFolder $labeled -ReportFolder $reports -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures.Count | Should -Be 1
        Assert-ErrorRecord $failures[0] -ErrorId 'HandWrite.ReportPermissionDenied,HandWrite.PowerShell.TestDigitModelCommand' `
            -Category PermissionDenied -Target $reports -Hint 'Choose a -ReportFolder you can write to'
        $result.Correct | Should -Be $tested.Correct
        $result.ReportFiles | Should -BeNullOrEmpty
    }
}

Describe 'Get-DigitModel' {
    It 'reads files from Get-ChildItem, and reports a corrupt one without stopping' {
        $folder = New-TestFolder 'models'
        Copy-Item -LiteralPath $model -Destination (Join-Path $folder 'b.hwm')
        [IO.File]::WriteAllBytes((Join-Path $folder 'a.hwm'), [byte[]]::new(100))
        $info = Get-ChildItem -LiteralPath $folder -Filter *.hwm | Sort-Object Name | Get-DigitModel -ErrorVariable failures -ErrorAction SilentlyContinue
        $failures.Count | Should -Be 1
        Assert-ErrorRecord $failures[0] -ErrorId 'HandWrite.ModelInvalidData,HandWrite.PowerShell.GetDigitModelCommand' -Category InvalidData `
            -Target (Join-Path $folder 'a.hwm') -Hint 'Pass -ModelPath to a model written by Invoke-DigitTraining'
        @($info).Count | Should -Be 1
        $info.PSObject.TypeNames[0] | Should -Be 'HandWrite.ModelInfo'
        $info.Path | Should -Be (Join-Path $folder 'b.hwm')
        $info.Epochs | Should -Be 1
        # What the training run measured for the epoch it kept (its metrics CSV beside the model).
        $kept = Import-Csv -LiteralPath ([IO.Path]::ChangeExtension($model, '.metrics.csv')) | Where-Object IsBest -EQ 'True' | Select-Object -Last 1
        $info.ValidationAccuracy | Should -Be ([double]::Parse($kept.ValidationAccuracy, [cultureinfo]::InvariantCulture))
        $info.WeightsSha256 | Should -MatchExactly '^[0-9a-f]{64}$'
        $info.ParameterCount | Should -BeGreaterThan 0
    }

    It 'expands wildcards, takes brackets literally where asked, and binds by value and by property name' {
        $folder = New-TestFolder 'model-paths'
        $b = (Copy-Item -LiteralPath $model -Destination (Join-Path $folder 'b.hwm') -PassThru).FullName
        $c = (Copy-Item -LiteralPath $model -Destination (Join-Path $folder 'c[1].hwm') -PassThru).FullName
        Push-Location -LiteralPath $folder
        try {
            $paths = @{
                wildcard = @(Get-DigitModel *.hwm).Path
                names = @(Get-DigitModel *.hwm | Sort-Object Name -Descending).Name
                literal = @(Get-DigitModel -LiteralPath 'c[1].hwm').Path
                pattern = @(Get-DigitModel 'c[1].hwm' -ErrorVariable +failures -ErrorAction SilentlyContinue).Path
                value = @('b.hwm', 'c?1?.hwm' | Get-DigitModel).Path
                rebind = @(Get-DigitModel b.hwm | Get-DigitModel).Path
                rebindBrackets = @(Get-DigitModel -LiteralPath 'c[1].hwm' | Get-DigitModel).Path
                pathProperty = @([pscustomobject]@{ Path = 'b*' } | Get-DigitModel).Path
                modelPathProperty = @([pscustomobject]@{ ModelPath = 'c[1].hwm' } | Get-DigitModel).Path
                fullNameProperty = @([pscustomobject]@{ FullName = $c } | Get-DigitModel).Path
                none = @(Get-DigitModel nothing*.hwm -ErrorVariable +failures -ErrorAction SilentlyContinue).Path
            }
        }
        finally { Pop-Location }
        $paths.wildcard | Sort-Object -CaseSensitive | Should -Be @($b, $c)
        $paths.names | Should -Be @('c[1].hwm', 'b.hwm')
        $paths.literal | Should -Be @($c)
        $paths.pattern | Should -BeNullOrEmpty -Because '[1] is a character class: it names c1.hwm, which is not there'
        $paths.value | Should -Be @($b, $c)
        $paths.rebind | Should -Be @($b)
        $paths.rebindBrackets | Should -Be @($c) -Because 'its own results bind by type, literally'
        $paths.pathProperty | Should -Be @($b) -Because "other objects' Path is a pattern, as for Get-Item"
        $paths.modelPathProperty | Should -Be @($c) -Because 'ModelPath, as on results of Invoke-DigitTraining, is taken literally'
        $paths.fullNameProperty | Should -Be @($c)
        $paths.none | Should -BeNullOrEmpty
        $failures.Count | Should -Be 2
        $failures | ForEach-Object { $_.FullyQualifiedErrorId | Should -Be 'HandWrite.ModelNotFound,HandWrite.PowerShell.GetDigitModelCommand' }
        $failures | ForEach-Object { $_.CategoryInfo.Category | Should -Be 'ObjectNotFound' }
        $failures.TargetObject | Should -Be @('c[1].hwm', 'nothing*.hwm')
        $failures[0].ErrorDetails.Message | Should -Match '-LiteralPath'
    }

    It 'reports each model path that is not there, and goes on with the next' {
        $missing = Join-Path (New-TestFolder 'missing') 'gone.hwm'
        $info = Get-DigitModel -LiteralPath $missing, $model -ErrorVariable failures -ErrorAction SilentlyContinue
        $info.Path | Should -Be $model
        $failures.Count | Should -Be 1
        Assert-ErrorRecord $failures[0] -ErrorId 'HandWrite.ModelNotFound,HandWrite.PowerShell.GetDigitModelCommand' -Category ObjectNotFound `
            -Target $missing -Hint 'Train one with Invoke-DigitTraining'
    }

    It 'reads $env:HANDWRITE_MODEL with no path, else the shipped model with its provenance, and says how to get a model when $env:HANDWRITE_MODEL names none' {
        $env:HANDWRITE_MODEL = $model
        try { $info = Get-DigitModel -ErrorAction Stop }
        finally { $env:HANDWRITE_MODEL = $null }
        $info.Path | Should -Be $model
        $info.Recipe | Should -BeNullOrEmpty -Because 'a model without a provenance note has none'

        # No model of the user's own: the one shipped with the module, with where it came from.
        $emptyHome, $runHome = (New-TestFolder 'empty-home'), $env:HANDWRITE_HOME
        $env:HANDWRITE_HOME = $emptyHome
        try { $shipped = Get-DigitModel -ErrorAction Stop }
        finally { $env:HANDWRITE_HOME = $runHome }
        $shipped.Path | Should -Be (Join-Path (Split-Path (Get-TestPath).ModuleManifest) 'HandWrite.default.hwm')
        $shipped.Recipe | Should -Match '^Invoke-DigitTraining with its defaults \(Best preset, 10 epochs, seed \d+; best epoch \d+ by validation\)$'
        $shipped.TestAccuracy | Should -BeGreaterThan 0.99
        $shipped.TestAccuracyMeasured | Should -Be 'Test-DigitModel on the 10000 MNIST test images'
        $shipped.WeightsSha256 | Should -Match '^[0-9a-f]{64}$'
        $list = $shipped | ConvertTo-TextLine -View List
        @($list -match '^Recipe\s+: Invoke-DigitTraining').Count | Should -Be 1
        @($list -match '^TestAccuracy\s+: 99[.,]\d\d ?% \(Test-DigitModel on the 10000 MNIST test images\)$').Count | Should -Be 1

        $missing = Join-Path $emptyHome 'mine.hwm'
        $env:HANDWRITE_MODEL = $missing
        try { $none = Get-DigitModel -ErrorVariable failures -ErrorAction SilentlyContinue }
        finally { $env:HANDWRITE_MODEL = $null }
        $none | Should -BeNullOrEmpty
        $failures.Count | Should -Be 1
        Assert-ErrorRecord $failures[0] -ErrorId 'HandWrite.ModelNotFound,HandWrite.PowerShell.GetDigitModelCommand' -Category ObjectNotFound `
            -Target $missing -Hint 'Train one with Invoke-DigitTraining'
    }

    It 'shows a table (name, architecture, parameters, epochs, validation accuracy, preset, date) and a list of everything' {
        $info = Get-DigitModel -LiteralPath $model
        $table = $info | ConvertTo-TextLine -View Table
        @($table -match '^Name\s+Architecture\s+Parameters\s+Epochs\s+ValidationAccuracy\s+Preset\s+TrainedAt$').Count | Should -Be 1
        @($table -match '^tiny\.hwm\s+HandWrite CNN v1\s+\d{1,3}(,\d{3})+\s+1\s+\d+[.,]\d\d ?%\s+Best\s+\d{4}-\d\d-\d\d \d\d:\d\d$').Count | Should -Be 1
        $list = $info | ConvertTo-TextLine -View List
        foreach ($label in 'Path', 'Architecture', 'ParameterCount', 'Epochs', 'Seed', 'ValidationAccuracy', 'Preset', 'TrainedAt', 'WeightsSha256', 'FormatVersion', 'FileSize') {
            @($list -match "^$label\s+: \S").Count | Should -Be 1 -Because "the list shows $label"
        }
        @($list -match '^ValidationAccuracy\s+: \d+[.,]\d\d ?%$').Count | Should -Be 1
    }
}

Describe 'Measure-DigitModel -Quick' {
    BeforeAll {
        $sample = New-DigitPicture -Path (Join-Path (New-TestFolder 'measure') 'seven.png') -Digit 7 -Style @{ Width = 280; Height = 280 }
        $run = Invoke-InRunspace -Parameters @{ M = $model; S = $sample.FullName } -Script '
            param($M, $S) Get-DigitModel -LiteralPath $M | Measure-DigitModel -Quick -Threads 1 -SamplePath $S'
        $run.Errors | Should -BeNullOrEmpty
        $result = $run.Output[0]
    }

    It 'returns one object with the figures side by side, for the model bound from Get-DigitModel''s result' {
        $run.Output.Count | Should -Be 1
        $result.PSObject.TypeNames[0] | Should -Be 'HandWrite.BenchmarkResult'
        $result.ModelPath | Should -Be $model
        $result.Threads | Should -Be 1
        foreach ($figure in 'MatmulFloat32GFlops', 'NaiveTrainImagesPerSecond', 'TrainImagesPerSecond', 'EvalImagesPerSecond', 'PredictP50Milliseconds', 'PeakWorkingSetMegabytes') {
            $result.$figure | Should -BeGreaterThan 0 -Because $figure
            [double]::IsFinite($result.$figure) | Should -BeTrue -Because $figure
        }
        $result.TrainSpeedupVsNaive | Should -BeLessThan ($result.TrainImagesPerSecond / $result.NaiveTrainImagesPerSecond + 1e-6)
        $result.TrainSpeedupVsNaive | Should -BeGreaterThan ($result.TrainImagesPerSecond / $result.NaiveTrainImagesPerSecond - 1e-6)
        @($run.Progress | Where-Object Activity -EQ 'Measuring HandWrite').Count | Should -BeGreaterThan 0
    }

    It 'shows the main figures in a table and every figure in a list' {
        $table = $result | ConvertTo-TextLine -View Table
        @($table -match '^Train img/s\s+Plain img/s\s+Speedup\s+Eval img/s\s+Predict p50 ms\s+Predict p99 ms\s+Cold start s\s+Peak MB$').Count | Should -Be 1
        # What was not measured is a blank cell, as everywhere in the module's views (OutputTypes.cs: NaN shows as $null).
        ($table -join "`n") | Should -Not -Match '\bNaN\b'
        $list = $result | ConvertTo-TextLine -View List -Width 80
        @($list -match '^TrainImagesPerSecond\s+: \d{1,3}([,.\u00a0\u202f]\d{3})*$').Count | Should -Be 1 -Because 'whole images, grouped'
        @($list -match '^PredictP50Milliseconds\s+: \d+[.,]\d\d$').Count | Should -Be 1
        @($list -match '^TrainSpeedupVsNaive\s+: \d+[.,]\d\dx$').Count | Should -Be 1
        ($list -join "`n") | Should -Not -Match '\bNaN\b'
        foreach ($label in 'Cpu', 'Threads', 'MatmulBFloat16GFlops', 'NaiveTrainImagesPerSecond', 'EvalImagesPerSecond', 'PredictP99Milliseconds', 'PeakWorkingSetMegabytes', 'Duration') {
            @($list -match "^$label\s+: \S").Count | Should -Be 1 -Because "the list shows $label"
        }
    }

    It 'stops at once on a -DataPath with no MNIST, naming the folder' {
        $data = Join-Path (New-TestFolder 'no-mnist') 'mnist'
        $record = { Measure-DigitModel -Quick -DataPath $data -ErrorAction Stop } | Should -Throw -PassThru
        Assert-ErrorRecord $record -ErrorId 'HandWrite.BenchmarkNotFound,HandWrite.PowerShell.MeasureDigitModelCommand' -Category ObjectNotFound `
            -Target $data -Hint 'Pass -DataPath to a folder holding the four MNIST files'
    }

    It 'stops on a -ModelPath that is not there before it measures anything' {
        $missing = Join-Path (New-TestFolder 'no-model') 'gone.hwm'
        $failed = Invoke-InRunspace -Parameters @{ M = $missing } -Script 'param($M) Measure-DigitModel -Quick -ModelPath $M'
        $failed.Output | Should -BeNullOrEmpty
        $failed.Errors.Count | Should -Be 1
        Assert-ErrorRecord $failed.Errors[0] -ErrorId 'HandWrite.ModelNotFound,HandWrite.PowerShell.MeasureDigitModelCommand' `
            -Category ObjectNotFound -Target $missing -Hint 'Train one with Invoke-DigitTraining'
        $failed.Progress.StatusDescription | Should -BeNullOrEmpty -Because 'a minute of timings must not end in "no model"'
    }
}

Describe 'Get-DigitPrediction with a model that is not there' {
    It 'stops with ModelNotFound, naming the model, before reading any image' {
        $folder = New-TestFolder 'no-model'
        $picture = New-DigitPicture -Path (Join-Path $folder 'three.png') -Digit 3
        $missing = Join-Path $folder 'gone.hwm'
        $record = { Get-DigitPrediction -Path $picture.FullName -ModelPath $missing -ErrorAction Stop } | Should -Throw -PassThru
        Assert-ErrorRecord $record -ErrorId 'HandWrite.ModelNotFound,HandWrite.PowerShell.GetDigitPredictionCommand' -Category ObjectNotFound `
            -Target $missing -Hint 'Train one with Invoke-DigitTraining'
    }
}
