using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace HandWrite.Tests.PowerShell;

/// <summary>
/// A throwaway OpenSSH server on a free loopback port whose "powershell" subsystem is the handwrite host, for
/// Invoke-Command -HostName. Key authentication only, its own host and client keys, nothing outside its folder.
/// </summary>
public sealed class SshTestServer : IDisposable
{
    const string Sshd = "/usr/sbin/sshd";
    readonly Process process;

    public int Port { get; }
    public string ClientKey { get; }
    public string UserName { get; } = Environment.UserName;

    /// <summary>The real sshd where openssh-server is installed (.ci/run installs it); null where it is not.</summary>
    public static SshTestServer? TryStart(string folder, string subsystem) =>
        File.Exists(Sshd) ? new SshTestServer(folder, subsystem) : null;

    SshTestServer(string folder, string subsystem)
    {
        string hostKey = Path.Combine(folder, "host_key");
        ClientKey = Path.Combine(folder, "client_key");
        foreach (var key in new[] { hostKey, ClientKey }) Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key);
        File.Copy(ClientKey + ".pub", Path.Combine(folder, "authorized_keys"));
        Port = FreePort();
        var config = Path.Combine(folder, "sshd_config");
        File.WriteAllLines(config,
        [
            $"Port {Port}", "ListenAddress 127.0.0.1", $"HostKey {hostKey}", $"AuthorizedKeysFile {folder}/authorized_keys",
            "PasswordAuthentication no", "KbdInteractiveAuthentication no", "PubkeyAuthentication yes",
            "PermitRootLogin prohibit-password", "StrictModes no", "UsePAM no", $"PidFile {folder}/sshd.pid",
            $"Subsystem powershell {subsystem} -sshs -NoLogo -NoProfile",
        ]);
        if (Environment.UserName == "root") Directory.CreateDirectory("/run/sshd"); // its privilege-separation folder
        process = Process.Start(new ProcessStartInfo(Sshd, ["-D", "-e", "-f", config]) { RedirectStandardError = true, UseShellExecute = false })!;
        for (var wait = Stopwatch.StartNew(); ; Thread.Sleep(100))
        {
            try { using var probe = new TcpClient("127.0.0.1", Port); return; }
            catch (SocketException) when (wait.Elapsed < TimeSpan.FromSeconds(10) && !process.HasExited) { }
            catch (SocketException)
            {
                Dispose();
                Assert.Fail($"sshd did not start: {process.StandardError.ReadToEnd()}");
            }
        }
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    static void Run(string file, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, UseShellExecute = false })!;
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)}: {error}");
    }

    public void Dispose()
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        process.Dispose();
    }
}
