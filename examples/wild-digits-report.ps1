<#
.SYNOPSIS
    What preprocessing and the training recipe are worth on real hand-drawn digits, in one table.
.DESCRIPTION
    For a labeled folder (<set>/<digit>/<image>) it measures, per set:
      naive preprocessing (greyscale, stretched to 28x28: what most digit projects do) with -BestModel,
      HandWrite's preprocessing with -SeedModel (plain recipe) and with -BestModel (default recipe);
    then composes -Numbers multi-digit images (3 to 5 digits, seeded; each from one set) from the same real digits and
    reports how many each model reads exactly with Get-DigitPrediction -Number.
.EXAMPLE
    ./examples/wild-digits-report.ps1 ./wild-digits -BestModel ./best.hwm -SeedModel ./seed.hwm | Format-Table
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory, Position = 0)]
    [string] $LabeledFolder,
    [Parameter(Mandatory)]
    [string] $BestModel,
    [Parameter(Mandatory)]
    [string] $SeedModel,
    [int] $Numbers = 100,
    [int] $Seed = 1
)
$ErrorActionPreference = 'Stop'

# Compose numbers from the real digits: random digit files side by side, random gaps (seeded). A number
# is written by one hand, so its digits all come from one set (one writer, one pen, one canvas size).
$composed = Join-Path ([IO.Path]::GetTempPath()) "handwrite-numbers-$Seed"
New-Item -ItemType Directory -Force -Path $composed | Out-Null
$sets = @(Get-ChildItem -LiteralPath $LabeledFolder -Recurse -File -Include *.png, *.jpg |
    Where-Object { $_.Directory.Name -match '^[0-9]$' } | Group-Object { $_.Directory.Parent.FullName })
$random = [Random]::new($Seed)
$truth = @{}
for ($i = 0; $i -lt $Numbers; $i++) {
    $digits = $sets[$random.Next($sets.Count)].Group
    $files = 1..$random.Next(3, 6) | ForEach-Object { $digits[$random.Next($digits.Count)] }
    $path = Join-Path $composed ('{0:000}.png' -f $i)
    [HandWrite.Core.Imaging.NumberComposer]::Compose([string[]]$files.FullName, $Seed + $i, $path) | Out-Null
    $truth[$path] = -join ($files | ForEach-Object { $_.Directory.Name })
}

$recipes = @(
    @{ Name = 'Naive preprocessing, Best model'; Model = $BestModel; Preprocessing = 'Naive' }
    @{ Name = 'HandWrite, Seed model'; Model = $SeedModel; Preprocessing = 'HandWrite' }
    @{ Name = 'HandWrite, Best model'; Model = $BestModel; Preprocessing = 'HandWrite' }
)
foreach ($recipe in $recipes) {
    $test = Test-DigitModel -ModelPath $recipe.Model -LabeledFolder $LabeledFolder -Preprocessing $recipe.Preprocessing
    $row = [ordered]@{ Recipe = $recipe.Name }
    foreach ($set in $test.PerSet) { $row[$set.Set] = $set.Accuracy.ToString('P1') }
    $row['All'] = $test.Accuracy.ToString('P1')
    # Numbers are read with HandWrite's preprocessing only: the naive path has no segmentation.
    $row['Numbers exact'] = if ($recipe.Preprocessing -eq 'HandWrite') {
        $read = Get-ChildItem -LiteralPath $composed -Filter *.png | Get-DigitPrediction -Number -ModelPath $recipe.Model
        $exact = @($read | Where-Object { $_.Number -eq $truth[$_.Path] }).Count
        '{0}/{1} ({2:P1})' -f $exact, $Numbers, ($exact / $Numbers)
    } else { 'n/a' }
    [pscustomobject]$row
}
Remove-Item -LiteralPath $composed -Recurse -Force
