# Every cmdlet's help as pwsh shows it (Get-Help reads the module's en-US MAML), and every example in that help run as
# written, in a folder that holds the files the examples name.
BeforeDiscovery {
    # The examples as the built module ships them (what Get-Help prints), one test each.
    $maml = @{ command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'; dev = 'http://schemas.microsoft.com/maml/dev/2004/10' }
    $helpFile = Join-Path $PSScriptRoot '..' 'out' 'HandWrite' 'en-US' 'HandWrite.PowerShell.dll-Help.xml'
    $examples = foreach ($command in Select-Xml -LiteralPath $helpFile -XPath '//command:command' -Namespace $maml) {
        $name = (Select-Xml -Xml $command.Node -XPath 'command:details/command:name' -Namespace $maml).Node.InnerText.Trim()
        $number = 0
        foreach ($example in Select-Xml -Xml $command.Node -XPath './/command:example' -Namespace $maml) {
            @{ Cmdlet = $name; Number = ++$number; Code = (Select-Xml -Xml $example.Node -XPath 'dev:code' -Namespace $maml).Node.InnerText }
        }
    }
    $cmdlets = @((Import-PowerShellDataFile (Join-Path $PSScriptRoot '..' 'out' 'HandWrite' 'HandWrite.psd1')).CmdletsToExport |
        ForEach-Object { @{ Cmdlet = $_ } })
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support' 'HandWrite.TestSupport.psm1') -Force
    Import-Module (Get-TestPath).ModuleManifest
}

Describe 'Help of <Cmdlet>' -ForEach $cmdlets {
    It 'has a synopsis, a description, every parameter documented as the cmdlet declares it, and examples' {
        $help = Get-Help $Cmdlet -Full
        $command = Get-Command $Cmdlet
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
        $declared = @($command.Parameters.Keys | Where-Object { $_ -notin $common })

        $help.Synopsis.Trim() | Should -Not -Match ([regex]::Escape($Cmdlet)) -Because 'a synopsis pwsh made up is the syntax line'
        ($help.description.Text -join ' ').Trim().Length | Should -BeGreaterThan 100 -Because "$Cmdlet's description says what it does"

        $documented = @{}
        foreach ($p in $help.parameters.parameter) { $documented[$p.name] = ($p.description.Text -join ' ').Trim() }
        @($declared | Where-Object { -not $documented[$_] }) | Should -BeNullOrEmpty -Because 'every parameter has a description'

        # Help is hand-written: what it says of each parameter must be what the cmdlet declares.
        $drift = foreach ($p in $help.parameters.parameter) {
            $meta = $command.Parameters[$p.name]
            if (-not $meta) { "$($p.name): documented, but the cmdlet has no such parameter"; continue }
            $attributes = @($meta.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] })
            $aliases = if ($meta.Aliases.Count) { $meta.Aliases -join ', ' } else { 'None' }
            $by = @(if ($attributes.ValueFromPipeline -contains $true) { 'ByValue' }; if ($attributes.ValueFromPipelineByPropertyName -contains $true) { 'ByPropertyName' })
            $pipeline = if ($by) { 'True (' + ($by -join ', ') + ')' } else { 'False' }
            $required = ($attributes.Mandatory -contains $true).ToString().ToLowerInvariant()
            $position = @($attributes | Where-Object Position -GE 0 | ForEach-Object Position | Sort-Object -Unique)
            $position = if ($position.Count) { $position -join ', ' } else { 'named' }
            if ($p.aliases -ne $aliases) { "$($p.name): help says aliases '$($p.aliases)', the cmdlet has '$aliases'" }
            if ($p.pipelineInput -ne $pipeline) { "$($p.name): help says pipeline input '$($p.pipelineInput)', the cmdlet takes '$pipeline'" }
            if ($p.required -ne $required) { "$($p.name): help says required '$($p.required)', the cmdlet declares '$required'" }
            if ($p.position -ne $position) { "$($p.name): help says position '$($p.position)', the cmdlet declares '$position'" }
        }
        @($drift) | Should -BeNullOrEmpty

        @($help.examples.example | Where-Object { $_.code -match $Cmdlet -or $_.code -match '\|' }).Count | Should -BeGreaterOrEqual 3
    }
}

Describe 'Help examples' {
    BeforeAll {
        # The files the examples name, made once and copied for each example: models (the run's tiny model), pictures
        # of MNIST training digits (PNG and JPEG), a labeled folder, scans in a subfolder, a meter reading of 2026.
        $model = Get-TestModel
        $template = New-TestFolder 'help-examples'
        foreach ($name in 'home/handwrite.hwm', 'm.hwm', 'a.hwm', 'b.hwm', 'seed1.hwm', 'seed2.hwm', 'seed3.hwm', 'models/x.hwm', 'models/y.hwm') {
            $null = New-Item -ItemType Directory -Force -Path (Split-Path (Join-Path $template $name))
            Copy-Item -LiteralPath $model -Destination (Join-Path $template $name)
        }
        $null = New-DigitPicture -Path (Join-Path $template 'seven.png') -Digit 7
        $null = New-DigitPicture -Path (Join-Path $template 'form[3].png') -Digit 3
        $null = New-Item -ItemType Directory -Path (Join-Path $template 'scans' 'more')
        foreach ($d in 0..3) { $null = New-DigitPicture -Path (Join-Path $template 'scans' "scan$d.png") -Digit $d -Skip 1 }
        $null = New-DigitPicture -Path (Join-Path $template 'scans' 'more' 'scan5.png') -Digit 5
        $null = New-LabeledDigitFolder -Path (Join-Path $template 'my-digits') -PerDigit 2
        # JPEG through the SkiaSharp the module ships (the test support writes PNG only).
        Add-Type -LiteralPath (Join-Path (Split-Path (Get-TestPath).ModuleManifest) 'SkiaSharp.dll')
        function ConvertTo-Jpeg([string] $Png, [string] $Jpeg) {
            $bitmap = [SkiaSharp.SKBitmap]::Decode($Png)
            try { [System.IO.File]::WriteAllBytes($Jpeg, $bitmap.Encode([SkiaSharp.SKEncodedImageFormat]::Jpeg, 95).ToArray()) }
            finally { $bitmap.Dispose() }
            Remove-Item -LiteralPath $Png
        }
        $odd = New-DigitPicture -Path (Join-Path $template 'odd.png') -Digit 4 -Style @{ Width = 120; Height = 90; Ink = '#1a237e' }
        ConvertTo-Jpeg $odd.FullName (Join-Path $template 'odd.jpg')
        $null = New-Item -ItemType Directory -Path (Join-Path $template 'meter-readings')
        $reading = New-DigitPicture -Path (Join-Path $template 'meter-readings' 'reading.png') -Digit 2, 0, 2, 6 -Style @{ Width = 240; Height = 80 }
        ConvertTo-Jpeg $reading.FullName (Join-Path $template 'meter-readings' 'reading.jpg')

        # Around each example, as the old help test did: errors stop the example, training is cut down (unless the
        # example sets it), and Invoke-Item, which would open a viewer, only checks that the file exists. Also cut down:
        # Test-DigitModel tests on the labeled folder instead of the 10,000 MNIST test images (the same command, its
        # other parameter set; a whole MNIST test run is examples/train-and-test.ps1's test).
        $prelude = {
            $ErrorActionPreference = 'Stop'
            $PSDefaultParameterValues = @{
                'Invoke-DigitTraining:Subset' = 300; 'Invoke-DigitTraining:ValidationSize' = 100; 'Invoke-DigitTraining:Epochs' = 2
                'Test-DigitModel:LabeledFolder' = './my-digits'
            }
            function Invoke-Item { param([Parameter(Mandatory)][string] $Path) if (-not (Test-Path -LiteralPath $Path)) { throw "Invoke-Item: no file $Path" } }
        }
    }

    It '<Cmdlet> example <Number> runs as written' -ForEach $examples {
        # In this pwsh, in a copy of the files, with HANDWRITE_HOME (the default model) inside it; any error fails it.
        $sandbox = New-TestFolder "example-$Cmdlet-$Number"
        Copy-Item -Path (Join-Path $template '*') -Destination $sandbox -Recurse
        $home_ = $env:HANDWRITE_HOME
        Push-Location -LiteralPath $sandbox
        try {
            $env:HANDWRITE_HOME = Join-Path $sandbox 'home'
            # Every stream into formatted text, as a console would show it (the views run); nothing else is checked.
            $null = & { . $prelude; & ([scriptblock]::Create($Code)) } *>&1 | Out-String -Width 200
        }
        catch {
            throw "$Cmdlet example $Number failed:`n$Code`n--- $($_.Exception.Message)`n$($_.ScriptStackTrace)"
        }
        finally {
            Pop-Location
            $env:HANDWRITE_HOME = $home_
        }
    }
}
