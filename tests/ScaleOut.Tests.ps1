# README's "Many images, many cores, many machines" in real pwsh: ForEach-Object -Parallel runspaces, Start-Job
# processes and Invoke-Command -HostName over SSH (a real sshd of the test's own on loopback, pwsh as its `powershell`
# subsystem) all give the predictions of one pipeline in this session.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support' 'HandWrite.TestSupport.psm1') -Force
    Import-Module (Get-TestPath).ModuleManifest
    $model = Get-TestModel
    $manifest = (Get-TestPath).ModuleManifest
    $labeled = New-LabeledDigitFolder -Path (Join-Path (New-TestFolder 'scale-out') 'labeled') -PerDigit 3
    $files = @(Get-ChildItem -LiteralPath $labeled -Recurse -File | ForEach-Object FullName | Sort-Object)

    function Get-Bits {
        <# A prediction as text that differs when any bit of any probability differs: path, digit, every probability. #>
        param([Parameter(ValueFromPipeline)] $Prediction)
        process { '{0} {1} {2}' -f $Prediction.Path, $Prediction.Digit, (@($Prediction.Probabilities | ForEach-Object { ([double]$_).ToString('R') }) -join ' ') }
    }
}

Describe 'ForEach-Object -Parallel' {
    It 'gives four runspaces, each importing the module, the probabilities of one pipeline to the last bit' {
        # From xunit's PredictionCmdletTests.Parallel_runspaces_get_exactly_the_predictions_of_one_pipeline.
        $single = @($files | Get-DigitPrediction -ModelPath $model)
        $workers = @(1..4 | ForEach-Object -Parallel {
                Import-Module $using:manifest
                [pscustomobject]@{
                    Worker = $_; Runspace = [runspace]::DefaultRunspace.InstanceId
                    Predictions = @($using:files | Get-DigitPrediction -ModelPath $using:model)
                }
            } -ThrottleLimit 4)

        $workers.Worker | Sort-Object | Should -Be 1, 2, 3, 4
        @($workers.Runspace + [runspace]::DefaultRunspace.InstanceId | Sort-Object -Unique) | Should -HaveCount 5
        $single.Path | Should -Be $files
        foreach ($worker in $workers) {
            $worker.Predictions | ForEach-Object { $_.PSObject.TypeNames[0] } | Sort-Object -Unique | Should -Be 'HandWrite.DigitPrediction'
            @($worker.Predictions | Get-Bits) | Should -Be @($single | Get-Bits) -Because "runspace $($worker.Worker) reads every file as the pipeline did"
        }
    }
}

Describe 'Start-Job' {
    It 'runs Get-DigitPrediction in other pwsh processes and returns deserialized predictions equal to this session''s' {
        # From xunit's PredictionCmdletTests.Jobs_in_other_processes_over_PowerShell_remoting_get_exactly_the_predictions_of_one_pipeline
        # and HostAndScriptTests.Start_Job_in_the_host_runs_in_another_handwrite_process_with_the_module_loaded. A job is
        # "$PSHOME/pwsh -s" talking the remoting protocol (objects come back serialized); it imports the module by path.
        $half = [int]($files.Count / 2)
        $halves = @($files[0..($half - 1)]), @($files[$half..($files.Count - 1)])
        $jobs = foreach ($part in $halves) {
            Start-Job -ArgumentList $manifest, $model, $part -ScriptBlock {
                param($Manifest, $Model, $Files)
                Import-Module $Manifest
                [pscustomobject]@{ Process = $PID; Modules = @(Get-Module | ForEach-Object Name); Predictions = @($Files | Get-DigitPrediction -ModelPath $Model) }
            }
        }
        try {
            $null = $jobs | Wait-Job -Timeout 300
            foreach ($job in $jobs) {
                "$($job.State)" | Should -Be 'Completed' -Because "the job ends well: $($job.ChildJobs[0].JobStateInfo.Reason) $($job.ChildJobs[0].Error)"
            }
            $remote = @($jobs | Receive-Job -ErrorAction Stop)
        }
        finally { $jobs | Remove-Job -Force }

        $remote | Should -HaveCount 2
        $remote.Process | Should -Not -Contain $PID
        @($remote.Process | Sort-Object -Unique) | Should -HaveCount 2
        foreach ($job in $remote) { $job.Modules | Should -Contain 'HandWrite' }
        $predictions = @($remote.Predictions)
        $predictions | ForEach-Object { $_.PSObject.TypeNames[0] } | Sort-Object -Unique | Should -Be 'Deserialized.HandWrite.DigitPrediction'
        # The same halves here: a batch's make-up moves the last bits of bf16 results, so like is compared with like.
        $here = @(foreach ($part in $halves) { $part | Get-DigitPrediction -ModelPath $model })
        @($predictions | Get-Bits) | Should -Be @($here | Get-Bits)
        $predictions.Confidence | Should -Be $here.Confidence
    }
}

Describe 'Invoke-Command -HostName over SSH' {
    BeforeAll {
        $sshd = '/usr/sbin/sshd'
        $server = $null
        if (Test-Path -LiteralPath $sshd) {
            # As xunit's SshTestServer: key authentication only, its own host and client keys, a free loopback port,
            # everything in its folder. The subsystem is this pwsh through a wrapper that sets what sshd's bare session
            # environment lacks: DOTNET_ROOT (pwsh is a framework-dependent .NET tool) and the run's HandWrite folders.
            $folder = New-TestFolder 'ssh'
            $hostKey = Join-Path $folder 'host_key'
            $clientKey = Join-Path $folder 'client_key'
            foreach ($key in $hostKey, $clientKey) {
                $out = ssh-keygen -q -t ed25519 -N '' -C '' -f $key 2>&1
                if ($LASTEXITCODE -ne 0) { throw "ssh-keygen failed for ${key}: $out" }
            }
            Copy-Item -LiteralPath "$clientKey.pub" -Destination (Join-Path $folder 'authorized_keys')

            $dotnetRoot = if ($env:DOTNET_ROOT) { $env:DOTNET_ROOT }
                          else { Split-Path (Split-Path (Split-Path ([System.Runtime.InteropServices.RuntimeEnvironment]::GetRuntimeDirectory().TrimEnd('/')))) }
            $pwsh = Join-Path $PSHOME 'pwsh'
            $subsystem = Join-Path $folder 'pwsh-subsystem'
            Set-Content -LiteralPath $subsystem -Value @(
                '#!/bin/sh'
                "export DOTNET_ROOT='$dotnetRoot' HANDWRITE_HOME='$env:HANDWRITE_HOME' HANDWRITE_DATA='$env:HANDWRITE_DATA'"
                "exec '$pwsh' `"`$@`""
            )
            [System.IO.File]::SetUnixFileMode($subsystem, [System.IO.UnixFileMode]'UserRead, UserWrite, UserExecute')

            $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
            $listener.Start()
            $port = $listener.LocalEndpoint.Port
            $listener.Stop()
            $config = Join-Path $folder 'sshd_config'
            Set-Content -LiteralPath $config -Value @(
                "Port $port", 'ListenAddress 127.0.0.1', "HostKey $hostKey", "AuthorizedKeysFile $folder/authorized_keys"
                'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'PubkeyAuthentication yes'
                'PermitRootLogin prohibit-password', 'StrictModes no', 'UsePAM no', "PidFile $folder/sshd.pid"
                "Subsystem powershell $subsystem -sshs -NoLogo -NoProfile"
            )
            # sshd's privilege-separation folder, which a container without systemd has not made.
            if ([Environment]::UserName -eq 'root' -and -not (Test-Path -LiteralPath /run/sshd)) { $null = New-Item -ItemType Directory -Path /run/sshd }
            $check = & $sshd -t -f $config 2>&1
            if ($LASTEXITCODE -ne 0) { throw "sshd rejects its configuration: $check" }

            $start = [System.Diagnostics.ProcessStartInfo]::new($sshd)
            foreach ($arg in '-D', '-e', '-f', $config) { $start.ArgumentList.Add($arg) }
            $start.RedirectStandardError = $true
            $start.UseShellExecute = $false
            $process = [System.Diagnostics.Process]::Start($start)
            $log = $process.StandardError.ReadToEndAsync()
            $server = [pscustomobject]@{ Process = $process; Log = $log; Port = $port; ClientKey = $clientKey; Subsystem = $subsystem; UserName = [Environment]::UserName }
            $deadline = [DateTime]::UtcNow.AddSeconds(20)
            while ($true) {
                try { ([System.Net.Sockets.TcpClient]::new('127.0.0.1', $port)).Dispose(); break }
                catch {
                    if ($process.HasExited -or [DateTime]::UtcNow -gt $deadline) {
                        if (-not $process.HasExited) { $process.Kill($true) }
                        throw "sshd did not start on port ${port}: $($log.Result)"
                    }
                    Start-Sleep -Milliseconds 100
                }
            }
        }
    }

    AfterAll {
        if ($server) {
            if (-not $server.Process.HasExited) { $server.Process.Kill($true) }
            $null = $server.Process.WaitForExit(10000)
            $server.Process.Dispose()
        }
    }

    It 'fans out to 127.0.0.1 and localhost, where pwsh is the powershell subsystem, and gets the predictions of the session' {
        # From xunit's HostAndScriptTests.Invoke_Command_HostName_fans_out_to_handwrite_over_SSH_and_gets_the_predictions_of_the_session.
        if (-not $server) {
            Set-ItResult -Skipped -Because "openssh-server is not installed here (no $sshd), so no sshd can serve the powershell subsystem: apt-get install openssh-server (.ci/run installs it)"
            return
        }
        # sshd starts the subsystem with an almost empty environment: the command must run in one.
        $version = & env -i "HOME=$HOME" 'PATH=/usr/bin:/bin' $server.Subsystem -NoProfile -NonInteractive -Command '$PSVersionTable.PSVersion.ToString()' 2>&1
        "$version" | Should -Be $PSVersionTable.PSVersion.ToString() -Because "the subsystem command ($($server.Subsystem): $(Join-Path $PSHOME 'pwsh')) runs outside the dotnet tool wrapper"
        Get-Command ssh -CommandType Application -ErrorAction Ignore | Should -Not -BeNullOrEmpty -Because 'Invoke-Command -HostName runs the ssh client'

        $ssh = @{
            Port = $server.Port; UserName = $server.UserName; KeyFilePath = $server.ClientKey; ConnectingTimeout = 180000
            Options = @{ StrictHostKeyChecking = 'no'; UserKnownHostsFile = '/dev/null'; LogLevel = 'ERROR'; BatchMode = 'yes' }
        }
        $remote = @(Invoke-Command -HostName 127.0.0.1, localhost @ssh -ArgumentList $manifest, $model, $files -ErrorAction Stop -ScriptBlock {
                param($Manifest, $Model, $Files)
                Import-Module $Manifest
                [pscustomobject]@{ Process = $PID; Loaded = [bool](Get-Module HandWrite); Predictions = @($Files | Get-DigitPrediction -ModelPath $Model) }
            })
        $here = @($files | Get-DigitPrediction -ModelPath $model)

        $remote.PSComputerName | Sort-Object | Should -Be '127.0.0.1', 'localhost'
        $remote.Process | Should -Not -Contain $PID
        @($remote.Process | Sort-Object -Unique) | Should -HaveCount 2
        $remote.Loaded | Should -Be $true, $true
        foreach ($computer in $remote) {
            $computer.Predictions | ForEach-Object { $_.PSObject.TypeNames[0] } | Sort-Object -Unique | Should -Be 'Deserialized.HandWrite.DigitPrediction'
            @($computer.Predictions | Get-Bits) | Should -Be @($here | Get-Bits) -Because "$($computer.PSComputerName) reads every file as this session does"
            $computer.Predictions.Confidence | Should -Be $here.Confidence
        }
    }
}
