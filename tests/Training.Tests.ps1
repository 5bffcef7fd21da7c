# Invoke-DigitTraining as a pwsh user runs it: the product card's line, its result and views, what it writes, its
# progress, -WhatIf and -Confirm, its errors, stopping it, and a run killed and resumed. Tiny subsets only: the accuracy
# a real run reaches is xunit's AccuracyFloorTests'.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support' 'HandWrite.TestSupport.psm1') -Force
    Import-Module (Get-TestPath).ModuleManifest
}

Describe 'The product card''s line: Invoke-DigitTraining -Epochs 10 | Test-DigitModel | Format-Table' {
    BeforeAll {
        # The line as written. $PSDefaultParameterValues shrinks it to 300 images (100 held out), writes the model into the
        # test's folder, and keeps the verbose epochs and both results (-OutVariable) for the checks after the card's.
        $folder = New-TestFolder 'card'
        $modelPath = Join-Path $folder 'card.hwm'
        $run = Invoke-InRunspace -Parameters @{ ModelPath = $modelPath } -Script '
            param($ModelPath)
            $PSDefaultParameterValues = @{
                "Invoke-DigitTraining:Subset" = 300
                "Invoke-DigitTraining:ValidationSize" = 100
                "Invoke-DigitTraining:ModelPath" = $ModelPath
                "Invoke-DigitTraining:Verbose" = $true
                "Invoke-DigitTraining:OutVariable" = "training"
                "Test-DigitModel:OutVariable" = "tested"
            }
            $card = Invoke-DigitTraining -Epochs 10 | Test-DigitModel | Format-Table | Out-String -Width 120
            [pscustomobject]@{ Card = $card; Training = $training[0]; Tested = $tested[0] }'
        $run.Errors | Should -BeNullOrEmpty
        $card = $run.Output[0].Card
        $training = $run.Output[0].Training
        $tested = $run.Output[0].Tested
    }

    It 'prints the test result as a table: the view''s headers, the model''s name, MNIST test' {
        $lines = $card -split '\r?\n' | ForEach-Object TrimEnd
        @($lines -match '^Model\s+DataSet\s+Accuracy\s+Correct\s+Count\s+Loss\s+Reports$').Count | Should -Be 1
        @($lines -match '^card\.hwm\s+MNIST test\s+\d+[.,]\d\d ?%\s+\d+\s+10000\s+\d+[.,]\d{4}\s+0$').Count | Should -Be 1
    }

    It 'returns its result with the history of every epoch, the side files, progress and verbose epochs' {
        $training.PSObject.TypeNames[0] | Should -Be 'HandWrite.TrainingResult'
        $training.ModelPath | Should -Be $modelPath
        $training.History.Epoch | Should -Be (1..10)
        # The best epoch is the last one marked IsBest; its weights are the model's.
        $best = @($training.History | Where-Object IsBest)[-1]
        $training.BestEpoch | Should -Be $best.Epoch
        $training.BestValidationAccuracy | Should -Be $best.ValidationAccuracy
        $training.BestValidationAccuracy | Should -BeGreaterThan 0
        $training.ImagesPerSecond | Should -BeGreaterThan 0
        $modelPath | Should -Exist
        @(Import-Csv -LiteralPath $training.MetricsPath).Epoch | Should -Be (1..10)
        [IO.File]::ReadAllBytes($training.CurvePath)[0..3] | Should -Be @(0x89, 0x50, 0x4E, 0x47)
        @($run.Verbose -match '^Epoch 1/10').Count | Should -Be 1
        @($run.Verbose -match '^Epoch 10/10').Count | Should -Be 1
        @($run.Progress | Where-Object { $_.Activity -eq 'Epoch 1' -and $_.StatusDescription -match 'images/s' }).Count | Should -BeGreaterThan 0
        @($run.Progress | Where-Object { $_.Activity -eq 'Training' -and $_.RecordType -eq 'Completed' }).Count | Should -Be 1
    }

    It 'binds its result to Test-DigitModel by ModelPath, which tests the model it wrote on the MNIST test set' {
        $tested.PSObject.TypeNames[0] | Should -Be 'HandWrite.ModelTestResult'
        $tested.ModelPath | Should -Be $modelPath
        $tested.DataSet | Should -Be 'MNIST test'
        $tested.Count | Should -Be 10000
        $tested.Accuracy | Should -Be ($tested.Correct / 10000)
        $tested.ConfusionMatrix.Count | Should -Be 10
        $tested.ConfusionMatrix | ForEach-Object { $_.Count | Should -Be 10 }
        (0..9 | ForEach-Object { $tested.ConfusionMatrix[$_][$_] } | Measure-Object -Sum).Sum | Should -Be $tested.Correct
        $tested.PerClass.Digit | Should -Be (0..9)
        $tested.PerClass.Support | Should -Be @(0..9 | ForEach-Object { ($tested.ConfusionMatrix[$_] | Measure-Object -Sum).Sum })
        ($tested.PerClass.Support | Measure-Object -Sum).Sum | Should -Be 10000
        $tested.ReportFiles | Should -BeNullOrEmpty
    }

    It 'binds its result to Get-DigitModel by ModelPath, which reads the best epoch from the file' {
        $info = $training | Get-DigitModel
        $info.Path | Should -Be $modelPath
        $info.Epochs | Should -Be $training.BestEpoch
        $info.ValidationAccuracy | Should -Be $training.BestValidationAccuracy
    }

    It 'shows its result in a table: model, best epoch, validation accuracy, epochs, duration, speed' {
        $text = $training | Format-Table -DisplayError | Out-String -Width 120
        $text | Should -Not -Match '#ERR' -Because 'every script block of the view runs'
        $lines = $text -split '\r?\n' | ForEach-Object TrimEnd
        @($lines -match '^Model\s+BestEpoch\s+ValidationAccuracy\s+Epochs\s+Duration\s+Images/s$').Count | Should -Be 1
        @($lines -match "^card\.hwm\s+$($training.BestEpoch)\s+\d+[.,]\d\d ?%\s+10\s+\d\d:\d\d:\d\d[.,]\d\s+[\d,.]+$").Count | Should -Be 1
    }

    It 'shows every epoch in a table: losses, accuracies, learning rate, seconds, speed and the best mark' {
        $text = $training.History | Format-Table -DisplayError | Out-String -Width 120
        $text | Should -Not -Match '#ERR' -Because 'every script block of the view runs'
        $lines = $text -split '\r?\n' | ForEach-Object TrimEnd
        @($lines -match '^Epoch\s+TrainLoss\s+TrainAccuracy\s+ValidationLoss\s+ValidationAccuracy\s+LearningRate\s+Seconds\s+Images/s\s+Best$').Count | Should -Be 1
        @($lines -match '^\s+\d+\s+\d+[.,]\d{4}\s+\d+[.,]\d\d ?%\s+\d+[.,]\d{4}\s+\d+[.,]\d\d ?%\s+[\d.,E+-]+\s+\d+[.,]\d\s+[\d,.]+( \*)?$').Count | Should -Be 10
    }

    It 'keeps each epoch on one line of its list view in an 80-column console' {
        $text = $training | Format-List -DisplayError | Out-String -Width 80
        $text | Should -Not -Match '#ERR' -Because 'every script block of the view runs'
        $lines = $text -split '\r?\n' | ForEach-Object TrimEnd
        foreach ($label in 'ModelPath', 'BestEpoch', 'BestValidationAccuracy', 'Epochs', 'Duration', 'ImagesPerSecond', 'MetricsPath', 'CurvePath') {
            @($lines -match "^$label\s+: \S").Count | Should -Be 1 -Because "the list shows $label"
        }
        @($lines -match '^History\s+: Epoch\s+TrainLoss\s+ValidationLoss\s+ValidationAccuracy\s+Best$').Count | Should -Be 1
        @($lines -match '^\s+\d+\s+\d+[.,]\d{4}\s+\d+[.,]\d{4}\s+\d+[.,]\d\d ?%( \*)?$').Count | Should -Be 10
        $lines | Where-Object Length -GT 80 | Should -BeNullOrEmpty
    }
}

Describe 'Invoke-DigitTraining -ValidationSize 0' {
    It 'reports no validation accuracy rather than NaN, and keeps the last epoch' {
        $modelPath = Join-Path (New-TestFolder 'unvalidated') 'all.hwm'
        $run = Invoke-InRunspace -Parameters @{ M = $modelPath } -Script '
            param($M)
            $r = Invoke-DigitTraining -ValidationSize 0 -Subset 300 -Epochs 2 -ModelPath $M -Verbose
            $r
            Get-DigitModel -LiteralPath $M
            ($r | Format-Table | Out-String -Width 120) + ($r | Format-List | Out-String -Width 120) +
                ($r.History | Format-Table | Out-String -Width 120) + (Get-DigitModel -LiteralPath $M | Format-Table | Out-String -Width 120)'
        $run.Errors | Should -BeNullOrEmpty
        $training, $info, $text = $run.Output
        $training.BestValidationAccuracy | Should -BeNullOrEmpty
        $training.BestEpoch | Should -Be 2
        $training.History | ForEach-Object { $_.ValidationAccuracy | Should -BeNullOrEmpty; $_.IsBest | Should -BeTrue }
        $info.ValidationAccuracy | Should -BeNullOrEmpty
        $info.Epochs | Should -Be 2
        $text | Should -Not -Match 'NaN'
        $text | Should -Match 'all\.hwm'
        $run.Verbose -match 'no validation images: the last epoch is kept' | Should -Not -BeNullOrEmpty
        $run.Verbose -match '^Epoch 2/2.*no validation, saved' | Should -Not -BeNullOrEmpty
    }
}

Describe 'Invoke-DigitTraining -WhatIf and -Confirm' {
    It '-WhatIf trains nothing and writes nothing' {
        $folder = New-TestFolder 'whatif'
        $run = Invoke-InRunspace -Parameters @{ M = (Join-Path $folder 'm.hwm') } -Script '
            param($M) Invoke-DigitTraining -ModelPath $M -Epochs 1 -Subset 1000 -WhatIf'
        $run.Errors | Should -BeNullOrEmpty
        $run.Output | Should -BeNullOrEmpty
        $run.Progress | Should -BeNullOrEmpty
        Get-ChildItem -LiteralPath $folder -Force | Should -BeNullOrEmpty
    }

    It '-Confirm asks before training, naming the model; answering No trains nothing and writes nothing' {
        $folder = New-TestFolder 'confirm'
        $modelPath = Join-Path $folder 'm.hwm'
        # Invoke-TestPwsh throws if pwsh does not exit within 300 s; 'N' is the answer typed at the prompt.
        $run = Invoke-TestPwsh -InputLines 'N' -Command "
            Invoke-DigitTraining -ModelPath '$modelPath' -Epochs 1 -Subset 1000 -ValidationSize 100 -Confirm
            'went on'"
        $run.ExitCode | Should -Be 0
        $output = $run.Output
        $output | Should -Match 'Are you sure you want to perform this action\?'
        # The prompt wraps at the console's width: compared without white space.
        $asked = "Performing the operation `"Train 1 epoch(s) (Best preset) and write the model`" on target `"$modelPath`"."
        ($output -replace '\s') | Should -Match ([regex]::Escape(($asked -replace '\s')))
        $output | Should -Match 'went on'
        $output | Should -Not -Match 'BestEpoch'
        Get-ChildItem -LiteralPath $folder -Force | Should -BeNullOrEmpty
    }
}

Describe 'Invoke-DigitTraining on bad input' {
    It 'fails on an unwritable -ModelPath before training, with PermissionDenied' {
        $folder = New-TestFolder 'unwritable'
        # A folder cannot be created where a file is: unwritable even for root, who ignores permissions.
        $blocker = New-Item -ItemType File -Path (Join-Path $folder 'file')
        $modelPath = Join-Path $blocker 'm.hwm'
        $run = Invoke-InRunspace -Parameters @{ M = $modelPath } -Script '
            param($M) Invoke-DigitTraining -ModelPath $M -Epochs 1 -Subset 1000 -Verbose'
        $run.Errors.Count | Should -Be 1
        $run.Errors[0].CategoryInfo.Category | Should -Be 'PermissionDenied'
        $run.Errors[0].FullyQualifiedErrorId | Should -BeLike 'HandWrite.*,HandWrite.PowerShell.InvokeDigitTrainingCommand'
        $run.Errors[0].TargetObject | Should -Be $modelPath
        $run.Errors[0].ErrorDetails.Message | Should -Match '-ModelPath'
        $run.Output | Should -BeNullOrEmpty
        $run.Progress | Should -BeNullOrEmpty -Because 'no batch ran'
        $run.Verbose -cmatch '^Epoch ' | Should -BeNullOrEmpty
    }

    It 'stops with <Category> for <Case>, naming <TargetName> and what to do' -ForEach @(
        @{ Case = 'a -ModelPath that is a folder'; Category = 'InvalidArgument'; TargetName = 'the folder'; Hint = 'give a file path such as'
            Arguments = { @{ ModelPath = $folder } }; Target = { $folder } }
        @{ Case = 'a -DataPath that does not exist'; Category = 'ObjectNotFound'; TargetName = 'the data folder'; Hint = 'Pass -DataPath to a folder holding the four MNIST files'
            Arguments = { @{ ModelPath = $modelPath; DataPath = (Join-Path $folder 'no-mnist') } }; Target = { Join-Path $folder 'no-mnist' } }
        @{ Case = '-Resume with no checkpoint'; Category = 'ObjectNotFound'; TargetName = 'the checkpoint'; Hint = 'Run without -Resume'
            Arguments = { @{ ModelPath = $modelPath; Resume = $true } }; Target = { "$modelPath.checkpoint" } }
    ) {
        $folder = New-TestFolder 'bad-training'
        $modelPath = Join-Path $folder 'm.hwm'
        $arguments = & $Arguments
        $record = { Invoke-DigitTraining @arguments -Epochs 1 -Subset 300 -ValidationSize 100 -ErrorAction Stop } | Should -Throw -PassThru
        $record.FullyQualifiedErrorId | Should -BeLike 'HandWrite.Training*,HandWrite.PowerShell.InvokeDigitTrainingCommand'
        $record.CategoryInfo.Category | Should -Be $Category
        $record.TargetObject | Should -Be (& $Target)
        $record.ErrorDetails.Message | Should -Match ([regex]::Escape($Hint))
        Get-ChildItem -LiteralPath $folder -Force | Should -BeNullOrEmpty -Because 'nothing was trained'
    }
}

Describe 'Stopping Invoke-DigitTraining' {
    It 'cancels training mid-epoch when the pipeline is stopped, writes no model, and the session goes on' {
        $modelPath = Join-Path (New-TestFolder 'stop') 'm.hwm'
        $shell = New-TestShell
        try {
            $null = $shell.AddCommand('Invoke-DigitTraining').AddParameters(@{ ModelPath = $modelPath; Subset = 20000; ValidationSize = 500; Epochs = 3 })
            $invocation = $shell.BeginInvoke()
            $clock = [Diagnostics.Stopwatch]::StartNew()
            while ($shell.Streams.Progress.Count -eq 0 -and -not $invocation.IsCompleted -and $clock.Elapsed.TotalMinutes -lt 4) { Start-Sleep -Milliseconds 20 }
            $shell.Streams.Progress.Count | Should -BeGreaterThan 0 -Because 'training reports its first batch'
            $shell.Stop()
            $shell.InvocationStateInfo.State | Should -Be 'Stopped'
            $thrown = { $shell.EndInvoke($invocation) } | Should -Throw -PassThru
            $thrown.Exception.InnerException | Should -BeOfType ([System.Management.Automation.PipelineStoppedException])
            $modelPath | Should -Not -Exist -Because 'no epoch finished'
            $shell.Commands.Clear()
            @($shell.AddCommand('Get-Command').AddParameter('Name', 'Invoke-DigitTraining').Invoke()).Count | Should -Be 1
        }
        finally { $shell.Dispose() }
    }
}

Describe 'Invoke-DigitTraining killed mid-run' {
    It 'leaves a loadable model, and -Resume ends with the weights of a run never interrupted' {
        $folder = New-TestFolder 'kill'
        $recipe = @{ Subset = 512; Epochs = 3; BatchSize = 64; ValidationSize = 128; Seed = 11 }
        $reference = Invoke-DigitTraining @recipe -ModelPath (Join-Path $folder 'reference.hwm')

        # Start the run in its own pwsh and kill it (SIGKILL: no chance to clean up) once epoch 1's checkpoint is on
        # disk, i.e. somewhere inside a later epoch.
        $killed = Join-Path $folder 'killed.hwm'
        $line = 'Invoke-DigitTraining ' + (($recipe.GetEnumerator() | ForEach-Object { "-$($_.Key) $($_.Value)" }) -join ' ') + " -ModelPath '$killed' | Out-Null"
        $process = Start-TestPwsh -Command $line
        $clock = [Diagnostics.Stopwatch]::StartNew()
        while (-not (Test-Path -LiteralPath "$killed.checkpoint") -and -not $process.HasExited -and $clock.Elapsed.TotalMinutes -lt 4) {
            Start-Sleep -Milliseconds 20
        }
        $process.HasExited | Should -BeFalse -Because "the run must still be going to be killed: $(if ($process.HasExited) { $process.ErrorTask.Result })"
        $process.Kill()
        $process.WaitForExit()

        $left = Get-DigitModel -LiteralPath $killed -ErrorAction Stop # whole and loadable, whatever moment the kill hit
        $left.Epochs | Should -BeLessThan 3

        $resumed = Invoke-DigitTraining @recipe -ModelPath $killed -Resume -Verbose 4>&1
        $resumed | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message |
            Should -Contain "Resuming after epoch $($left.Epochs) from $killed.checkpoint."
        (Get-DigitModel -LiteralPath $killed).WeightsSha256 | Should -Be (Get-DigitModel -LiteralPath $reference.ModelPath).WeightsSha256
        $columns = 'Epoch', 'TrainLoss', 'TrainAccuracy', 'ValidationLoss', 'ValidationAccuracy', 'LearningRate', 'IsBest'
        $history = Import-Csv -LiteralPath ([IO.Path]::ChangeExtension($killed, '.metrics.csv')) | Select-Object $columns | ConvertTo-Csv
        $history | Should -Be (Import-Csv -LiteralPath $reference.MetricsPath | Select-Object $columns | ConvertTo-Csv)
    }
}
