# What the Pester tests share: where the built module and the test run's folders are, MNIST through the product's own
# acquisition, one tiny trained model per run, digit pictures made from MNIST training digits, and a child pwsh.
# Nothing here reads outside the clone: MNIST lands in out/test-cache (kept between runs), everything else in the run folder.
Set-StrictMode -Version Latest

$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '..' '..')).Path
$script:ModuleManifest = Join-Path $RepoRoot 'out' 'HandWrite' 'HandWrite.psd1'
$script:MnistFolder = Join-Path $RepoRoot 'out' 'test-cache' 'mnist'
# build.ps1 -Test empties out/test-run before each run; a developer running one file alone may set HANDWRITE_TEST_RUN.
$script:RunFolder = if ($env:HANDWRITE_TEST_RUN) { $env:HANDWRITE_TEST_RUN } else { Join-Path $RepoRoot 'out' 'test-run' }

# The product's own defaults, pointed into the clone for this process and its children: MNIST is obtained into the
# test cache by HandWrite itself (the default data folder is filled when missing), models and caches stay in the run.
$env:HANDWRITE_DATA = $MnistFolder
$env:HANDWRITE_HOME = Join-Path $RunFolder 'home'
$env:HANDWRITE_MODEL = $null

Add-Type -Path (Join-Path $PSScriptRoot 'TestPictures.cs'), (Join-Path $RepoRoot 'tests' 'HandWrite.Tests' 'Imaging' 'PngWriter.cs')

function Get-TestPath {
    <# The folders and files every test file needs: RepoRoot, ModuleManifest, MnistFolder, RunFolder. #>
    [pscustomobject]@{ RepoRoot = $RepoRoot; ModuleManifest = $ModuleManifest; MnistFolder = $MnistFolder; RunFolder = $RunFolder }
}

function New-TestFolder {
    <# A new empty folder in the run folder; the runner removes the run folder as a whole. #>
    param([string] $Name = 'work')
    $path = Join-Path $RunFolder ('{0}-{1}' -f $Name, [guid]::NewGuid().ToString('N').Substring(0, 8))
    (New-Item -ItemType Directory -Path $path -Force).FullName
}

function Get-TestModel {
    <#
    The run's tiny model, trained once through the card's own pipeline on first use (a few seconds, not an accurate
    model: accuracy is xunit's AccuracyFloorTests'). Training also obtains MNIST into the test cache through the
    product's own acquisition, so every picture helper calls this first. Returns the model's full path.
    #>
    $path = Join-Path $RunFolder 'tiny.hwm'
    if (-not (Test-Path -LiteralPath $path)) {
        $null = New-Item -ItemType Directory -Path $RunFolder -Force
        Import-Module $ModuleManifest -Global
        $null = Invoke-DigitTraining -Subset 2000 -Epochs 1 -ValidationSize 500 -ModelPath $path -ErrorAction Stop
    }
    $path
}

function Get-TestDigit {
    <# The Skip-th MNIST training digit of one class (never the test set): 28x28 bytes, white ink on black. #>
    param([Parameter(Mandatory)][ValidateRange(0, 9)][int] $Digit, [int] $Skip = 0)
    $null = Get-TestModel
    , [HandWrite.TestSupport.TestPictures]::TrainingDigit($MnistFolder, $Digit, $Skip)
}

function New-DigitPicture {
    <#
    Writes one PNG picture of MNIST training digits as a person would make it: dark ink on white paper by default,
    64x64, the digit 70% of the height. -Digit is one digit or several (a number, drawn side by side); -Style takes
    any HandWrite.TestSupport.PictureStyle property (Width, Height, DigitHeight, CenterX, CenterY, Ink, Paper,
    Transparent, UnevenLight, Noise, Gap, Seed). -Skip picks later samples of each class. Returns the file.
    #>
    param(
        [Parameter(Mandatory)][string] $Path,
        [Parameter(Mandatory)][ValidateRange(0, 9)][int[]] $Digit,
        [hashtable] $Style = @{},
        [int] $Skip = 0
    )
    $pixels = [byte[][]]@($Digit | ForEach-Object { , (Get-TestDigit -Digit $_ -Skip $Skip) })
    $full = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path)
    [HandWrite.TestSupport.TestPictures]::SavePicture($full, $pixels, [HandWrite.TestSupport.PictureStyle]$Style)
    Get-Item -LiteralPath $full
}

function New-MnistFormPicture {
    <# A 28x28 grey PNG of one MNIST training digit exactly as the dataset holds it (white on black, centred). #>
    param([Parameter(Mandatory)][string] $Path, [Parameter(Mandatory)][ValidateRange(0, 9)][int] $Digit, [int] $Skip = 0)
    $full = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path)
    [HandWrite.TestSupport.TestPictures]::SaveMnistForm($full, (Get-TestDigit -Digit $Digit -Skip $Skip))
    Get-Item -LiteralPath $full
}

function New-LabeledDigitFolder {
    <#
    A labeled folder as Test-DigitModel -LabeledFolder reads it: <Path>/<digit>/<n>.png, -PerDigit pictures of each
    digit (different training samples), drawn with -Style. Returns the folder's full path.
    #>
    param([Parameter(Mandatory)][string] $Path, [int] $PerDigit = 3, [hashtable] $Style = @{})
    foreach ($digit in 0..9) {
        $folder = New-Item -ItemType Directory -Path (Join-Path $Path $digit) -Force
        for ($n = 0; $n -lt $PerDigit; $n++) {
            $null = New-DigitPicture -Path (Join-Path $folder "$n.png") -Digit $digit -Skip $n -Style $Style
        }
    }
    (Resolve-Path -LiteralPath $Path).Path
}

function New-TestShell {
    <#
    A [powershell] on a new runspace of this pwsh with the built module imported and no host (nothing reaches the
    console), for a test that drives it itself (BeginInvoke, Stop); the caller disposes it.
    #>
    $state = [initialsessionstate]::CreateDefault2()
    $state.ImportPSModule($ModuleManifest)
    [powershell]::Create($state)
}

function Invoke-InRunspace {
    <#
    Runs -Script with -Parameters in a new runspace (New-TestShell: the module imported, no host) and returns what
    each stream got: Output, Errors (ErrorRecords), Verbose (the messages) and Progress (ProgressRecords).
    #>
    param([Parameter(Mandatory)][string] $Script, [hashtable] $Parameters = @{})
    $shell = New-TestShell
    try {
        $output = $shell.AddScript($Script).AddParameters($Parameters).Invoke()
        [pscustomobject]@{
            Output = @($output); Errors = @($shell.Streams.Error); Verbose = @($shell.Streams.Verbose | ForEach-Object Message)
            Progress = @($shell.Streams.Progress)
        }
    }
    finally { $shell.Dispose() }
}

function Read-Preprocessed {
    <# A 28x28 image -SavePreprocessed wrote, as 784 values 0..1, read with the module's own SkiaSharp. #>
    param([Parameter(Mandatory)][string] $Path)
    if (-not ('SkiaSharp.SKBitmap' -as [type])) { Add-Type -Path (Join-Path (Split-Path $ModuleManifest) 'SkiaSharp.dll') }
    $info = [SkiaSharp.SKImageInfo]::new(28, 28, [SkiaSharp.SKColorType]::Gray8, [SkiaSharp.SKAlphaType]::Opaque)
    $bitmap = [SkiaSharp.SKBitmap]::Decode($Path, $info)
    try { , [double[]]@($bitmap.Bytes | ForEach-Object { $_ / 255 }) } finally { $bitmap.Dispose() }
}

function Measure-PixelDifference {
    <#
    Mean absolute difference of two 28x28 images (Read-Preprocessed), the smallest over shifts of -B by up to one pixel
    each way: centring by the centre of mass moves by whole pixels, and a centre near a half pixel may round either way.
    #>
    param([double[]] $A, [double[]] $B)
    $padded = [double[]]::new(900) # B inside a border of zeros, 30x30
    for ($y = 0; $y -lt 28; $y++) { [array]::Copy($B, $y * 28, $padded, ($y + 1) * 30 + 1, 28) }
    $best = [double]::MaxValue
    foreach ($dy in -1..1) {
        foreach ($dx in -1..1) {
            $sum = 0.0
            for ($y = 0; $y -lt 28; $y++) {
                $row = ($y + 1 + $dy) * 30 + 1 + $dx
                for ($x = 0; $x -lt 28; $x++) { $sum += [math]::Abs($A[$y * 28 + $x] - $padded[$row + $x]) }
            }
            $best = [math]::Min($best, $sum / 784)
        }
    }
    $best
}

function New-TestPwshStartInfo {
    # The ProcessStartInfo Start-TestPwsh and Invoke-TestPwsh share (see Start-TestPwsh); not exported.
    param([string] $Command, [hashtable] $Environment, [string] $WorkingDirectory, [switch] $NoImport, [switch] $Interactive)
    $start = [System.Diagnostics.ProcessStartInfo]::new((Join-Path $PSHOME 'pwsh'))
    $script = if ($NoImport) { $Command } else { "Import-Module '$ModuleManifest'`n$Command" }
    $arguments = if ($Interactive) { '-NoProfile', '-Command', $script } else { '-NoProfile', '-NonInteractive', '-Command', $script }
    foreach ($arg in $arguments) { $start.ArgumentList.Add($arg) }
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $start.RedirectStandardInput = $true
    $start.UseShellExecute = $false
    $start.WorkingDirectory = $WorkingDirectory
    $start.Environment['NO_COLOR'] = '1'
    foreach ($name in $Environment.Keys) { $start.Environment[$name] = [string]$Environment[$name] }
    $start
}

function Start-TestPwsh {
    <#
    Starts pwsh (this one, $PSHOME's) in a new process and returns its Process without waiting for it: no profile,
    output redirected and no terminal, as CI runs it; -Command is imported with the built module first unless -NoImport.
    -InputLines are written to its standard input, then closed: the answers to its prompts, which it then reads
    (without -InputLines it runs -NonInteractive). The Process's OutputTask and ErrorTask (Task[string]) complete with
    all it wrote to standard output and error once it ends; they are read as it writes, so it never blocks on them.
    #>
    param(
        [Parameter(Mandatory)][string] $Command,
        [hashtable] $Environment = @{},
        [string] $WorkingDirectory = $RepoRoot,
        [switch] $NoImport,
        [string[]] $InputLines
    )
    $start = New-TestPwshStartInfo -Command $Command -Environment $Environment -WorkingDirectory $WorkingDirectory -NoImport:$NoImport -Interactive:($null -ne $InputLines)
    $process = [System.Diagnostics.Process]::Start($start)
    $process | Add-Member -NotePropertyName OutputTask -NotePropertyValue $process.StandardOutput.ReadToEndAsync()
    $process | Add-Member -NotePropertyName ErrorTask -NotePropertyValue $process.StandardError.ReadToEndAsync()
    foreach ($line in $InputLines) { $process.StandardInput.WriteLine($line) }
    $process.StandardInput.Close()
    $process
}

function Invoke-TestPwsh {
    <#
    Runs pwsh as Start-TestPwsh starts it (-Command, -Environment, -WorkingDirectory, -NoImport, -InputLines) and waits
    for it, killing it after -TimeoutSeconds. Returns ExitCode, Output and Error (text).
    #>
    param(
        [Parameter(Mandatory)][string] $Command,
        [hashtable] $Environment = @{},
        [string] $WorkingDirectory = $RepoRoot,
        [switch] $NoImport,
        [string[]] $InputLines,
        [int] $TimeoutSeconds = 300
    )
    $process = Start-TestPwsh -Command $Command -Environment $Environment -WorkingDirectory $WorkingDirectory -NoImport:$NoImport -InputLines $InputLines
    if (-not $process.WaitForExit($TimeoutSeconds * 1000)) {
        $process.Kill($true)
        throw "pwsh did not exit within $TimeoutSeconds s: $Command"
    }
    [pscustomobject]@{ ExitCode = $process.ExitCode; Output = $process.OutputTask.Result; Error = $process.ErrorTask.Result }
}

Export-ModuleMember -Function Get-TestPath, New-TestFolder, Get-TestModel, Get-TestDigit, New-DigitPicture, New-MnistFormPicture,
    New-LabeledDigitFolder, New-TestShell, Invoke-InRunspace, Read-Preprocessed, Measure-PixelDifference, Start-TestPwsh, Invoke-TestPwsh
