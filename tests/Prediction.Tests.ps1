# Get-DigitPrediction in pwsh against the built module: how paths bind and resolve (the card's line as written), how
# bad input is reported while the pipeline goes on, batches and progress, -WhatIf and -Confirm, runspaces, jobs and
# ensembles, and pictures as people make them (big canvases, colour, transparency, light, noise) read like plain ones.
# The tiny model is about 50% accurate: tests assert what holds for any model, never that a digit is read right.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support' 'HandWrite.TestSupport.psm1') -Force
    Import-Module (Get-TestPath).ModuleManifest
    $model = Get-TestModel
    $labeled = New-LabeledDigitFolder -Path (Join-Path (New-TestFolder labeled) 'set')
    # The 30 labeled pictures (<digit>/<n>.png) in ordinal order of their full paths.
    $allLabeled = [string[]]@(Get-ChildItem -LiteralPath $labeled -Recurse -File | ForEach-Object FullName)
    [array]::Sort($allLabeled, [StringComparer]::Ordinal)

    function Assert-WellFormed {
        <# What every prediction of a picture with ink holds, whatever the model: 10 probabilities summing to 1, Digit
        their argmax, Confidence its probability, Top sorted best first, LowConfidence and Reason from -MinimumConfidence.
        One Should for all the predictions given (Should costs milliseconds: 90 predictions x 12 rules add up), failing
        with each broken rule and the file it broke on. #>
        param([object[]] $Prediction, [int] $Top = 3, [double] $MinimumConfidence = 0.5)
        $problems = foreach ($x in $Prediction) {
            $p = $x.Probabilities
            $sum = ($p | Measure-Object -Sum).Sum
            $hasDigit = $null -ne $x.Digit
            $topSorted = $hasDigit -and $x.Top.Count -eq $Top -and $x.Top[0].Digit -eq $x.Digit
            for ($i = 0; $topSorted -and $i -lt $Top; $i++) {
                $topSorted = $x.Top[$i].Probability -eq $p[$x.Top[$i].Digit] -and ($i -eq 0 -or $x.Top[$i].Probability -le $x.Top[$i - 1].Probability)
            }
            $rules = [ordered]@{
                'of type HandWrite.DigitPrediction'              = $x.PSObject.TypeNames[0] -eq 'HandWrite.DigitPrediction'
                '10 probabilities summing to 1'                  = $p.Count -eq 10 -and [math]::Abs($sum - 1) -le 0.001
                'Digit the most probable'                        = $hasDigit -and $p[$x.Digit] -eq ($p | Measure-Object -Maximum).Maximum
                'Confidence the probability of Digit'            = $hasDigit -and $x.Confidence -eq $p[$x.Digit]
                "Top the $Top most probable, best first"         = $topSorted
                'LowConfidence when below -MinimumConfidence'    = $x.LowConfidence -eq ($x.Confidence -lt $MinimumConfidence)
                'a Reason exactly when LowConfidence'            = [string]::IsNullOrEmpty($x.Reason) -eq (-not $x.LowConfidence)
            }
            foreach ($rule in $rules.Keys) { if (-not $rules[$rule]) { "$($x.Name): not $rule" } }
        }
        $problems | Should -BeNullOrEmpty
    }

    function Measure-Difference {
        <# The largest absolute difference of two equally long arrays (probabilities). #>
        param([double[]] $A, [double[]] $B)
        $largest = 0.0
        for ($i = 0; $i -lt $A.Count; $i++) { $largest = [math]::Max($largest, [math]::Abs($A[$i] - $B[$i])) }
        $largest
    }

    # The blank page below is drawn with the module's own SkiaSharp.
    Add-Type -Path (Join-Path (Split-Path (Get-TestPath).ModuleManifest) 'SkiaSharp.dll')
}

Describe 'Get-DigitPrediction: paths' {
    It 'binds FileInfo objects from Get-ChildItem and keeps their order; Name is a property' {
        $predictions = @(Get-ChildItem -LiteralPath $labeled -Recurse -File | Sort-Object FullName | Get-DigitPrediction -ModelPath $model -ErrorVariable errors)
        $errors | Should -BeNullOrEmpty
        $predictions.Path | Should -Be $allLabeled
        # The table's Name column is a property too, so Sort-Object Name and Select-Object Name work.
        $predictions.Name | Should -Be ($allLabeled | ForEach-Object { Split-Path $_ -Leaf })
        @($predictions | Select-Object -ExpandProperty Name) | Should -Be $predictions.Name
        Assert-WellFormed $predictions
    }

    It 'expands wildcards and folders relative to the location, not the process''s directory' {
        [Environment]::CurrentDirectory | Should -Not -Be $labeled
        $sevens = [string[]]@(Get-ChildItem -LiteralPath (Join-Path $labeled 7) -File | ForEach-Object FullName)
        $threes = [string[]]@(Get-ChildItem -LiteralPath (Join-Path $labeled 3) -File | ForEach-Object FullName)
        [array]::Sort($sevens, [StringComparer]::Ordinal)
        [array]::Sort($threes, [StringComparer]::Ordinal)
        Push-Location -LiteralPath $labeled
        try {
            $predictions = @(Get-DigitPrediction 7/*.png, 3 -ModelPath $model -ErrorVariable errors)
            $literal = @(Get-DigitPrediction -LiteralPath 7/0.png -ModelPath $model)
        }
        finally { Pop-Location }
        $errors | Should -BeNullOrEmpty
        $predictions.Path | Should -Be ($sevens + $threes)
        $literal.Path | Should -Be (Join-Path $labeled 7 0.png)
    }

    It 'takes brackets in a name literally with -LiteralPath and piped files, as a pattern with -Path' {
        $work = New-TestFolder brackets
        $bracketed = Join-Path $work 'form[3].png'
        Copy-Item -LiteralPath $allLabeled[0] -Destination $bracketed
        $literal = @(Get-DigitPrediction -LiteralPath $bracketed -ModelPath $model)
        $piped = @(Get-Item -LiteralPath $bracketed | Get-DigitPrediction -ModelPath $model)
        $pattern = @(Get-DigitPrediction -Path $bracketed -ModelPath $model -ErrorVariable errors -ErrorAction SilentlyContinue)
        $literal.Path | Should -Be $bracketed
        $piped.Path | Should -Be $bracketed
        # As a pattern, form[3].png means form3.png: there is none, and the message points to -LiteralPath.
        $pattern | Should -BeNullOrEmpty
        $errors.Count | Should -Be 1
        $errors[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $errors[0].TargetObject | Should -Be $bracketed
        $errors[0].ErrorDetails.Message | Should -BeLike '*-LiteralPath*'
        # ... and once form3.png exists, the same -Path finds it.
        Copy-Item -LiteralPath $allLabeled[0] -Destination (Join-Path $work 'form3.png')
        (Get-DigitPrediction -Path $bracketed -ModelPath $model).Path | Should -Be (Join-Path $work 'form3.png')
    }
}

Describe 'Get-DigitPrediction: the card''s line, Get-ChildItem *.png | Get-DigitPrediction' {
    BeforeAll {
        $pictures = New-TestFolder card
        $null = New-DigitPicture -Path (Join-Path $pictures 'seven.png') -Digit 7 -Style @{ Width = 280; Height = 280 }
        $null = New-DigitPicture -Path (Join-Path $pictures 'three.png') -Digit 3 -Style @{ Width = 640; Height = 480; Ink = '#1a237e'; Paper = '#fffbe6'; CenterX = 0.4 }
        $null = New-DigitPicture -Path (Join-Path $pictures 'zero.png') -Digit 0 -Style @{ Transparent = $true }
        Set-Content -LiteralPath (Join-Path $pictures 'notes.txt') -Value 'not a picture, and not *.png'
        $names = 'seven.png', 'three.png', 'zero.png' | Sort-Object
    }

    It 'reads every picture in the folder with the model $env:HANDWRITE_MODEL names, and shows the table view' {
        $saved = $env:HANDWRITE_MODEL
        $env:HANDWRITE_MODEL = $model
        Push-Location -LiteralPath $pictures
        try {
            $predictions = @(Get-ChildItem *.png | Get-DigitPrediction -SavePreprocessed ./seen -ErrorVariable errors)
            $table = $predictions | Format-Table | Out-String -Width 200
        }
        finally { Pop-Location; $env:HANDWRITE_MODEL = $saved }
        $errors | Should -BeNullOrEmpty
        $predictions.Name | Should -Be $names
        Assert-WellFormed $predictions
        # -SavePreprocessed ./seen is relative to the location too.
        (Get-ChildItem -LiteralPath (Join-Path $pictures 'seen')).Name | Sort-Object | Should -Be ($names -replace '\.png$', '.28x28.png')
        # The view's columns, one row per picture: name, digit, confidence as a percentage, the top digits, the note.
        $table | Should -Match '(?m)^Name\s+Digit\s+Confidence\s+Top\s+Note\s*$'
        foreach ($prediction in $predictions) {
            $confidence = [regex]::Escape($prediction.Confidence.ToString('P2'))
            $top = [regex]::Escape(($prediction.Top -join ', '))
            $table | Should -Match "(?m)^$([regex]::Escape($prediction.Name))\s+$($prediction.Digit)\s+$confidence\s+$top"
        }
    }

    It 'with no model of the user''s own reads them with the model shipped with the module; the user''s own takes precedence' {
        $emptyHome = New-TestFolder 'no-model-home'
        $shippedModel = Join-Path (Split-Path (Get-TestPath).ModuleManifest) 'HandWrite.default.hwm'
        $saved = $env:HANDWRITE_HOME
        $env:HANDWRITE_HOME = $emptyHome
        Push-Location -LiteralPath $pictures
        try {
            $shipped = @(Get-ChildItem *.png | Get-DigitPrediction -ErrorAction Stop)
            $shippedInfo = Get-DigitModel
            Copy-Item -LiteralPath $model -Destination (Join-Path $emptyHome 'handwrite.hwm')
            $ownInfo = Get-DigitModel
        }
        finally { Pop-Location; $env:HANDWRITE_HOME = $saved }
        $shippedInfo.Path | Should -Be $shippedModel
        $shippedInfo.TestAccuracy | Should -BeGreaterThan 0.99 -Because 'the shipped model is README''s 10-epoch recipe'
        # A trained model reads these clear pictures right, whatever their canvas, ink or transparency.
        @($shipped | ForEach-Object { '{0}={1}' -f $_.Name, $_.Digit }) | Should -Be @('seven.png=7', 'three.png=3', 'zero.png=0' | Sort-Object)
        $ownInfo.Path | Should -Be (Join-Path $emptyHome 'handwrite.hwm')
    }

    It 'stops with one error naming the missing model and what to do when $env:HANDWRITE_MODEL names no file' {
        $missing = Join-Path (New-TestFolder 'no-model') 'handwrite.hwm'
        $saved = $env:HANDWRITE_MODEL
        $env:HANDWRITE_MODEL = $missing
        Push-Location -LiteralPath $pictures
        try {
            $predictions = 'not run'
            $thrown = $null
            try { $predictions = Get-ChildItem *.png | Get-DigitPrediction -ErrorAction Stop } catch { $thrown = $_ }
        }
        finally { Pop-Location; $env:HANDWRITE_MODEL = $saved }
        $predictions | Should -Be 'not run'
        $thrown.FullyQualifiedErrorId | Should -Be 'HandWrite.ModelNotFound,HandWrite.PowerShell.GetDigitPredictionCommand'
        $thrown.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $thrown.TargetObject | Should -Be $missing
        $thrown.ErrorDetails.Message | Should -BeLike "No model at '$missing'*Invoke-DigitTraining*-ModelPath*"
    }
}

Describe 'Get-DigitPrediction: bad input' {
    It 'reports each bad file as one error with category, target, id and what to do, and predicts the rest in order' {
        $work = New-TestFolder bad
        $first = $allLabeled[0]
        $middle = $allLabeled[14]
        $last = $allLabeled[-1]
        $missing = Join-Path $work 'missing.png'
        $text = Join-Path $work 'notes.png'
        Set-Content -LiteralPath $text -Value 'this is not a picture'
        $emptyFile = Join-Path $work 'empty.png'
        $null = New-Item -ItemType File -Path $emptyFile
        # A real 280x280 picture cut after 60% of its bytes, as an interrupted download leaves it.
        $whole = [IO.File]::ReadAllBytes((New-DigitPicture -Path (Join-Path $work 'whole.tmp') -Digit 4 -Style @{ Width = 280; Height = 280; Noise = 4 }).FullName)
        $cut = [byte[]]::new([int]($whole.Length * 0.6))
        [array]::Copy($whole, $cut, $cut.Length)
        $truncated = Join-Path $work 'truncated.png'
        [IO.File]::WriteAllBytes($truncated, $cut)
        $folder = (New-Item -ItemType Directory -Path (Join-Path $work 'empty')).FullName

        $paths = $first, $missing, $text, $middle, $emptyFile, $truncated, $folder, $last
        $all = @($paths | Get-DigitPrediction -ModelPath $model 2>&1)
        $predictions = @($all | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] })
        $errors = @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })

        $predictions.Path | Should -Be $first, $middle, $last
        $errors.Count | Should -Be 5
        $errors.TargetObject | Sort-Object | Should -Be ($missing, $text, $emptyFile, $truncated, $folder | Sort-Object)
        $expected = @{
            $missing   = 'ObjectNotFound', 'HandWrite.ImageNotFound', 'does not exist. Check the path'
            $text      = 'InvalidData', 'HandWrite.ImageInvalidData', 'contains text, not image data*Pass a PNG'
            $emptyFile = 'InvalidData', 'HandWrite.ImageInvalidData', 'is empty (0 bytes). Save the image again'
            $truncated = 'InvalidData', 'HandWrite.ImageInvalidData', 'is truncated or corrupt*Save or export the image again'
            $folder    = 'ObjectNotFound', 'HandWrite.ImageNotFound', 'holds no image files*Give a folder of images'
        }
        foreach ($record in $errors) {
            $category, $id, $message = $expected[$record.TargetObject]
            $record.CategoryInfo.Category | Should -Be $category
            $record.FullyQualifiedErrorId | Should -Be "$id,HandWrite.PowerShell.GetDigitPredictionCommand"
            $record.ErrorDetails.Message | Should -BeLike "*'$($record.TargetObject)' $message*"
            $record.ErrorDetails.Message | Should -Not -BeLike '*Exception*'
        }
        # A file that cannot be read is reported in its place among the files read with it.
        $inOrder = @($all | ForEach-Object { if ($_ -is [System.Management.Automation.ErrorRecord]) { $_.TargetObject } else { $_.Path } } |
            Where-Object { $_ -in $first, $text, $middle, $emptyFile, $truncated, $last })
        $inOrder | Should -Be $first, $text, $middle, $emptyFile, $truncated, $last

        # The same folder as README shows it, listed by Get-ChildItem: its folder and files bind as they are.
        Remove-Item -LiteralPath (Join-Path $work 'whole.tmp')
        Copy-Item -LiteralPath $first -Destination (Join-Path $work 'a-first.png')
        Copy-Item -LiteralPath $last -Destination (Join-Path $work 'z-last.png')
        $listed = @(Get-ChildItem -LiteralPath $work | Get-DigitPrediction -ModelPath $model -ErrorVariable listedErrors -ErrorAction SilentlyContinue)
        $listed.Name | Should -Be 'a-first.png', 'z-last.png'
        $listedErrors.TargetObject | Sort-Object | Should -Be ($text, $emptyFile, $truncated, $folder | Sort-Object)
    }

    It 'reads no digit in a blank image and says why' {
        $work = New-TestFolder blank
        $black = Join-Path $work 'black.png'
        [HandWrite.Core.Imaging.DigitPreprocessor]::SavePng([float[]]::new(784), $black)
        $page = Join-Path $work 'page.png'
        $bitmap = [SkiaSharp.SKBitmap]::new(400, 300)
        try {
            $bitmap.Erase([SkiaSharp.SKColor]::Parse('#fffbe6'))
            [IO.File]::WriteAllBytes($page, $bitmap.Encode([SkiaSharp.SKEncodedImageFormat]::Png, 100).ToArray())
        }
        finally { $bitmap.Dispose() }
        $predictions = @(Get-DigitPrediction -LiteralPath $black, $page -ModelPath $model -ErrorVariable errors)
        $errors | Should -BeNullOrEmpty
        $predictions.Path | Should -Be $black, $page
        foreach ($prediction in $predictions) {
            $prediction.Digit | Should -BeNullOrEmpty
            $prediction.LowConfidence | Should -BeTrue
            $prediction.Top | Should -BeNullOrEmpty
            $prediction.Reason | Should -Be 'The image is blank (uniform colour).'
        }
    }

    It '-MinimumConfidence decides LowConfidence and its Reason, and refuses values outside 0..1' {
        $files = $allLabeled[0..9]
        $default = @($files | Get-DigitPrediction -ModelPath $model)
        $none = @($files | Get-DigitPrediction -ModelPath $model -MinimumConfidence 0)
        $all = @($files | Get-DigitPrediction -ModelPath $model -MinimumConfidence 1)
        # A threshold between the confidences seen splits the files by their confidence.
        $sorted = @($default.Confidence | Sort-Object)
        $middle = ($sorted[4] + $sorted[5]) / 2
        $split = @($files | Get-DigitPrediction -ModelPath $model -MinimumConfidence $middle)
        Assert-WellFormed $default
        Assert-WellFormed $none -MinimumConfidence 0
        Assert-WellFormed $all -MinimumConfidence 1
        Assert-WellFormed $split -MinimumConfidence $middle
        for ($i = 0; $i -lt $files.Count; $i++) {
            $none[$i].Reason | Should -BeNullOrEmpty
            $all[$i].Reason | Should -BeLike "Confidence $($all[$i].Confidence.ToString('P1', [cultureinfo]::InvariantCulture)) is below -MinimumConfidence 100.0 %*"
            $none[$i].Probabilities | Should -Be $default[$i].Probabilities
        }
        @($split | Where-Object LowConfidence).Count | Should -Be 5
        { Get-DigitPrediction -LiteralPath $files[0] -ModelPath $model -MinimumConfidence 1.5 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,HandWrite.PowerShell.GetDigitPredictionCommand'
    }
}

Describe 'Get-DigitPrediction: batches and the files it writes' {
    It 'returns more images than a batch of 64 in input order, writes each preprocessed image and shows progress' {
        # 30 distinct drawings, three copies each under new names: 90 inputs, more than one batch of 64.
        $work = New-TestFolder batch
        $inputs = [Collections.Generic.List[string]]::new()
        for ($copy = 0; $copy -lt 3; $copy++) {
            for ($i = 0; $i -lt $allLabeled.Count; $i++) {
                $target = Join-Path $work ('c{0}-{1:D2}.png' -f $copy, $i)
                Copy-Item -LiteralPath $allLabeled[$i] -Destination $target
                $inputs.Add($target)
            }
        }
        $seen = Join-Path $work 'seen'
        $run = Invoke-InRunspace -Script 'param($Model, $Paths, $Seen) $Paths | Get-DigitPrediction -ModelPath $Model -SavePreprocessed $Seen -Top 2' `
            -Parameters @{ Model = $model; Paths = $inputs.ToArray(); Seen = $seen }
        $run.Errors | Should -BeNullOrEmpty
        $run.Output.Path | Should -Be $inputs
        Assert-WellFormed $run.Output -Top 2
        # Copies of the same drawing get the same answer, whichever batch they fell in: the same digit, and the same
        # probabilities up to float rounding (a batch's make-up moves the last bits; 4.5e-8 apart at most here).
        $run.Output[60..89].Digit | Should -Be $run.Output[0..29].Digit
        Measure-Difference $run.Output[60..89].Probabilities $run.Output[0..29].Probabilities | Should -BeLessThan 1e-6
        (Get-ChildItem -LiteralPath $seen).Name | Sort-Object | Should -Be ($inputs | ForEach-Object { [IO.Path]::GetFileNameWithoutExtension($_) + '.28x28.png' } | Sort-Object)
        # From one full batch on, progress counts the images read, and completes at the end.
        $reading = @($run.Progress | Where-Object Activity -eq 'Reading digits')
        @($reading | Where-Object { $_.StatusDescription -like '90 images*' -and $_.RecordType -eq 'Processing' }).Count | Should -Be 1
        $reading[-1].RecordType | Should -Be 'Completed'

        # A folder adds all its files at once: they are still read a batch at a time, with progress between batches.
        $folder = Invoke-InRunspace -Script 'param($Model, $Folder) Get-DigitPrediction $Folder -ModelPath $Model' -Parameters @{ Model = $model; Folder = $work }
        $folder.Errors | Should -BeNullOrEmpty
        $folder.Output.Path | Should -Be $inputs
        @($folder.Progress | Where-Object { $_.Activity -eq 'Reading digits' -and $_.RecordType -eq 'Processing' } |
            ForEach-Object { $_.StatusDescription.Split(',')[0] }) | Should -Be '64 images', '90 images'
        # Fewer than a batch shows no progress at all.
        $few = Invoke-InRunspace -Script 'param($Model, $Paths) $Paths | Get-DigitPrediction -ModelPath $Model' -Parameters @{ Model = $model; Paths = $allLabeled }
        $few.Output.Count | Should -Be 30
        @($few.Progress | Where-Object Activity -eq 'Reading digits') | Should -BeNullOrEmpty
    }

    It '-WhatIf writes no file but still predicts and tests' {
        # -WhatIf covers what the cmdlets write (preprocessed images, report charts); their results come back as usual.
        $work = New-TestFolder whatif
        $files = $allLabeled[0..2]
        $new = Join-Path $work 'new'
        $existing = (New-Item -ItemType Directory -Path (Join-Path $work 'existing')).FullName
        $reports = Join-Path $work 'reports'
        $run = Invoke-InRunspace -Script @'
            param($Model, $Files, $New, $Existing, $Reports, $Labeled)
            $Files | Get-DigitPrediction -ModelPath $Model -SavePreprocessed $New -WhatIf
            $Files | Get-DigitPrediction -ModelPath $Model -SavePreprocessed $Existing -WhatIf
            Test-DigitModel -ModelPath $Model -LabeledFolder $Labeled -ReportFolder $Reports -WhatIf
'@ -Parameters @{ Model = $model; Files = $files; New = $new; Existing = $existing; Reports = $reports; Labeled = $labeled }
        $run.Errors | Should -BeNullOrEmpty
        $run.Output.Count | Should -Be 7
        $run.Output[0..5].Path | Should -Be ($files + $files)
        $test = $run.Output[6]
        $test.PSObject.TypeNames[0] | Should -Be 'HandWrite.ModelTestResult'
        $test.Count | Should -Be 30
        $test.ReportFiles | Should -BeNullOrEmpty
        Test-Path -LiteralPath $new | Should -BeFalse
        Get-ChildItem -LiteralPath $existing | Should -BeNullOrEmpty
        Test-Path -LiteralPath $reports | Should -BeFalse
    }

    It '-Confirm asks before the folder and before each image, and predicts whatever the answers' {
        # A user's pwsh: the answers come from its standard input, as typed at the prompts.
        $work = New-TestFolder confirm
        $files = $allLabeled[0..2]
        $new = Join-Path $work 'new'
        $existing = (New-Item -ItemType Directory -Path (Join-Path $work 'existing')).FullName
        $script = @"
`$PSStyle.OutputRendering = 'PlainText'
`$files = '$($files -join "', '")'
`$a = @(`$files | Get-DigitPrediction -ModelPath '$model' -SavePreprocessed '$new' -Confirm)
"new: `$(`$a.Count) predictions, folder `$(Test-Path '$new')"
`$b = @(`$files | Get-DigitPrediction -ModelPath '$model' -SavePreprocessed '$existing' -Confirm)
"existing: `$(`$b.Count) predictions, files `$((Get-ChildItem '$existing').Name -join ' ')"
"@
        # No to the new folder; then yes, no, yes to the three images in the existing one.
        $run = Invoke-TestPwsh -InputLines 'N', 'Y', 'N', 'Y' -Command $script
        $output = ($run.Output, $run.Error) -join "`n"
        $run.ExitCode | Should -Be 0
        $names = $files | ForEach-Object { [IO.Path]::GetFileNameWithoutExtension($_) + '.28x28.png' }
        # The prompts wrap at the console's width: compared without white space.
        $flat = $output -replace '\s'
        $flat | Should -Match ([regex]::Escape(("Performing the operation `"Create the folder for the preprocessed images`" on target `"$new`"") -replace '\s'))
        foreach ($name in $names) {
            $flat | Should -Match ([regex]::Escape(("Performing the operation `"Save the preprocessed 28x28 image`" on target `"$(Join-Path $existing $name)`"") -replace '\s'))
        }
        $output | Should -Match '(?m)^new: 3 predictions, folder False$'
        $output | Should -Match "(?m)^existing: 3 predictions, files $([regex]::Escape("$($names[0]) $($names[2])"))$"
        Test-Path -LiteralPath $new | Should -BeFalse
    }
}

# xunit's Parallel_runspaces_... and Jobs_in_other_processes_... tests are ported in ScaleOut.Tests.ps1.
Describe 'Get-DigitPrediction: ensembles' {
    It 'reads several -ModelPath values as one ensemble, averaging the models' {
        $second = Join-Path (New-TestFolder ensemble) 'second.hwm'
        $null = Invoke-DigitTraining -Subset 1000 -Epochs 1 -ValidationSize 200 -Preset Seed -Seed 9 -ModelPath $second -ErrorAction Stop
        $files = $allLabeled[0..5]
        $first = @($files | Get-DigitPrediction -ModelPath $model)
        $other = @($files | Get-DigitPrediction -ModelPath $second)
        $ensemble = @($files | Get-DigitPrediction -ModelPath $model, $second)
        $ensemble.Path | Should -Be $files
        for ($i = 0; $i -lt $files.Count; $i++) {
            $first[$i].Probabilities | Should -Not -Be $other[$i].Probabilities
            $expected = [double[]]@(for ($d = 0; $d -lt 10; $d++) { ($first[$i].Probabilities[$d] + $other[$i].Probabilities[$d]) / 2 })
            Measure-Difference $ensemble[$i].Probabilities $expected | Should -BeLessThan 1e-6
            $ensemble[$i].Digit | Should -Be ([array]::IndexOf($expected, ($expected | Measure-Object -Maximum).Maximum))
            Assert-WellFormed $ensemble[$i]
        }
    }
}

Describe 'Get-DigitPrediction: pictures as people make them' {
    BeforeAll {
        # Three digits drawn plainly (64x64, black on white, 70% of the height) and then in each way below, each
        # variant predicted with its plain pictures in one call that saves what the network saw.
        $digits = 2, 5, 7
        $work = New-TestFolder pictures

        function Read-Variant {
            <# Draws the three digits with -Style, predicts them with the plain ones; per digit the two predictions and
            the differences of their probabilities and of their 28x28 images. #>
            param([string] $Name, [hashtable] $Style, [int[]] $Digit = $digits)
            $folder = New-Item -ItemType Directory -Path (Join-Path $work $Name)
            foreach ($d in $Digit) {
                $null = New-DigitPicture -Path (Join-Path $folder "plain-$d.png") -Digit $d
                $null = New-DigitPicture -Path (Join-Path $folder "variant-$d.png") -Digit $d -Style $Style
            }
            $seen = Join-Path $folder 'seen'
            $predictions = @(Get-ChildItem -LiteralPath $folder -Filter *.png | Get-DigitPrediction -ModelPath $model -SavePreprocessed $seen -ErrorAction Stop)
            foreach ($d in $Digit) {
                $plain = $predictions | Where-Object Name -EQ "plain-$d.png"
                $variant = $predictions | Where-Object Name -EQ "variant-$d.png"
                [pscustomobject]@{
                    Digit = $d; Plain = $plain; Variant = $variant
                    Probabilities = Measure-Difference $variant.Probabilities $plain.Probabilities
                    Pixels = Measure-PixelDifference (Read-Preprocessed (Join-Path $seen "variant-$d.28x28.png")) (Read-Preprocessed (Join-Path $seen "plain-$d.28x28.png"))
                }
            }
        }
        # Tolerances, measured on all ten digits in every style below with the run's tiny model. Probabilities: the
        # largest difference from the plain picture was 0.047 (a 0 lit from one side; 0.034 for these three digits,
        # a 2 filling the canvas); plain pictures of different digits differ by 0.075 (1 and 8) to 0.28, except those
        # the tiny model reads alike (7 and 9: 0.048, 3 and 5: 0.056). The 28x28 images (Measure-PixelDifference): at most 0.058 from
        # the plain one (a 2 filling the canvas), while different digits differ by 0.080 (1 and 8, the closest pair),
        # 0.084 (7 and 1), 0.097 (7 and 9) and more. The tests after this one check the tolerances tell those apart.
        $probabilityTolerance = 0.06
        $pixelTolerance = 0.07
    }

    It 'reads the same digit on <Name> as on the plain picture' -ForEach @(
        @{ Name = 'a 280x280 canvas'; Style = @{ Width = 280; Height = 280 } }
        @{ Name = 'a 1000x600 canvas, off-centre'; Style = @{ Width = 1000; Height = 600; CenterX = 0.3; CenterY = 0.6; DigitHeight = 0.5 } }
        @{ Name = 'a 280x280 canvas, small and in a corner'; Style = @{ Width = 280; Height = 280; CenterX = 0.2; CenterY = 0.75; DigitHeight = 0.15 } }
        @{ Name = 'a 280x280 canvas, filling it'; Style = @{ Width = 280; Height = 280; DigitHeight = 0.95 } }
        @{ Name = 'tinted paper in coloured ink'; Style = @{ Ink = '#1a237e'; Paper = '#fffbe6' } }
        @{ Name = 'dark paper in light ink'; Style = @{ Ink = '#f0f0f0'; Paper = '#202830' } }
        @{ Name = 'a transparent background'; Style = @{ Transparent = $true; Ink = '#b71c1c' } }
        @{ Name = 'a page lit from one side'; Style = @{ UnevenLight = 0.3 } }
        @{ Name = 'a noisy photo'; Style = @{ Noise = 6; Seed = 2 } }
        @{ Name = 'a 400x300 photo with all of these'; Style = @{ Width = 400; Height = 300; CenterX = 0.6; CenterY = 0.4; DigitHeight = 0.4; Ink = '#0d47a1'; Paper = '#fff8e1'; UnevenLight = 0.25; Noise = 5; Seed = 3 } }
    ) {
        $folderName = $Name -replace '\W+', '-'
        foreach ($pair in Read-Variant -Name $folderName -Style $Style) {
            Assert-WellFormed $pair.Plain, $pair.Variant
            $pair.Variant.Digit | Should -Be $pair.Plain.Digit -Because "digit $($pair.Digit) on $Name"
            $pair.Probabilities | Should -BeLessOrEqual $probabilityTolerance -Because "digit $($pair.Digit) on $Name"
            $pair.Pixels | Should -BeLessOrEqual $pixelTolerance -Because "digit $($pair.Digit) on $Name"
        }
    }

    It 'tells <Pair> apart with the same tolerances' -ForEach @(
        # Pairs the tiny model reads differently: both checks fail.
        @{ Pair = '2 and 3'; Digits = 2, 3; Probabilities = $true }
        @{ Pair = '5 and 6'; Digits = 5, 6; Probabilities = $true }
        @{ Pair = '7 and 8'; Digits = 7, 8; Probabilities = $true }
        # The closest drawings of different digits; the tiny model reads 7 and 9 alike (0.049 apart), so only the
        # 28x28 images, which do not depend on the model, tell them apart.
        @{ Pair = '1 and 8'; Digits = 1, 8; Probabilities = $false }
        @{ Pair = '7 and 1'; Digits = 7, 1; Probabilities = $false }
        @{ Pair = '7 and 9'; Digits = 7, 9; Probabilities = $false }
    ) {
        # The comparison above, with another digit as the "variant".
        $folder = New-Item -ItemType Directory -Path (Join-Path $work "different-$($Digits -join '-')")
        $files = foreach ($d in $Digits) { New-DigitPicture -Path (Join-Path $folder "$d.png") -Digit $d }
        $seen = Join-Path $folder 'seen'
        $a, $b = @($files | Get-DigitPrediction -ModelPath $model -SavePreprocessed $seen)
        $pixels = Measure-PixelDifference (Read-Preprocessed (Join-Path $seen "$($Digits[0]).28x28.png")) (Read-Preprocessed (Join-Path $seen "$($Digits[1]).28x28.png"))
        $pixels | Should -BeGreaterThan $pixelTolerance
        if ($Probabilities) { Measure-Difference $a.Probabilities $b.Probabilities | Should -BeGreaterThan $probabilityTolerance }
    }
}
