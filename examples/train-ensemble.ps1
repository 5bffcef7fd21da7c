<#
.SYNOPSIS
    Trains several models that differ only in their seed, tests each and their ensemble.
.DESCRIPTION
    Each member is Invoke-DigitTraining with its own -Seed (so its own validation split, initial weights and
    augmentation), saved as seed<N>.hwm in -Folder; a member already there is kept, so an interrupted run
    continues where it stopped. Then every member and the ensemble (Test-DigitModel -ModelPath with all of them:
    their probabilities averaged) are tested, on the MNIST test set or -LabeledFolder. Read images with the
    ensemble afterwards with Get-DigitPrediction -ModelPath and the same files (the last line printed says how).
    README's best ensemble: the default run and four members of -Epochs 30 (docs/PERFORMANCE.md, section 16).
.EXAMPLE
    ./examples/train-ensemble.ps1 -Count 5 -Folder ./ensemble
.EXAMPLE
    ./examples/train-ensemble.ps1 -Count 4 -Epochs 30 -FirstSeed 41 -Folder ./long
#>
[CmdletBinding()]
param(
    # How many members to train (and keep) in -Folder.
    [ValidateRange(2, 50)]
    [int] $Count = 5,
    [int] $Epochs = 10,
    # Seeds FirstSeed, FirstSeed + 1, ... name and seed the members.
    [long] $FirstSeed = 1,
    [string] $Folder = './handwrite-ensemble',
    # Folder with the MNIST files; downloaded to the per-user folder when left out.
    [string] $DataPath,
    # Test on these labeled images (<folder>/<digit>/<image>) instead of the MNIST test set.
    [string] $LabeledFolder,
    # Train each member on only this many images, for a quick look.
    [int] $Subset,
    [int] $ValidationSize = 5000
)
$ErrorActionPreference = 'Stop'

$Folder = (New-Item -ItemType Directory -Force -Path $Folder).FullName
$training = @{ Epochs = $Epochs; ValidationSize = $ValidationSize }
foreach ($name in 'DataPath', 'Subset') {
    if ($PSBoundParameters.ContainsKey($name)) { $training[$name] = $PSBoundParameters[$name] }
}
$testing = @{}
if ($LabeledFolder) { $testing.LabeledFolder = $LabeledFolder }
elseif ($DataPath) { $testing.DataPath = $DataPath }

$members = foreach ($seed in $FirstSeed..($FirstSeed + $Count - 1)) {
    $path = Join-Path $Folder "seed$seed.hwm"
    if (Test-Path -LiteralPath $path) {
        Write-Host "seed$seed.hwm is already trained; kept."
    }
    else {
        Write-Host "Training seed$seed.hwm ($Epochs epoch(s))..."
        $null = Invoke-DigitTraining -Seed $seed -ModelPath $path @training
    }
    $path
}

$rows = foreach ($member in $members) {
    $test = Test-DigitModel -ModelPath $member @testing
    [pscustomobject]@{ Model = Split-Path -Leaf $member; Accuracy = $test.Accuracy; Correct = $test.Correct; Count = $test.Count }
}
$ensemble = Test-DigitModel -ModelPath $members @testing
$rows = @($rows) + [pscustomobject]@{ Model = "ensemble of $Count"; Accuracy = $ensemble.Accuracy; Correct = $ensemble.Correct; Count = $ensemble.Count }
$rows | Format-Table Model, @{ n = 'Accuracy'; e = { $_.Accuracy.ToString('P2') }; a = 'right' }, Correct, Count | Out-Host
Write-Host "Read images with the ensemble: Get-DigitPrediction <images> -ModelPath $($members -join ', ')"
$ensemble
