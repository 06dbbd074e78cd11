using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace GridTrain.IntegrationTests.Security;

/// <summary>
/// A throwaway PKI made in-process with <see cref="CertificateRequest"/>: a CA, a server certificate for localhost and
/// 127.0.0.1, an agent client certificate, and a client certificate from another (untrusted) CA, all as PEM files.
/// </summary>
public sealed class TestPki : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gridtrain-pki-").FullName;

    public TestPki()
    {
        var (ca, caKey) = CreateCa("GridTrain Test CA");
        var (rogue, rogueKey) = CreateCa("Rogue CA");
        CaFile = WriteCertificate("ca.pem", ca);
        RogueCaFile = WriteCertificate("rogue-ca.pem", rogue);
        (ServerCertificateFile, ServerKeyFile) = Issue("server", ca, caKey, "1.3.6.1.5.5.7.3.1", server: true);
        (ClientCertificateFile, ClientKeyFile) = Issue("agent", ca, caKey, "1.3.6.1.5.5.7.3.2", server: false);
        (RogueClientCertificateFile, RogueClientKeyFile) = Issue("rogue-agent", rogue, rogueKey, "1.3.6.1.5.5.7.3.2", server: false);
    }

    public string CaFile { get; }

    public string RogueCaFile { get; }

    public string ServerCertificateFile { get; }

    public string ServerKeyFile { get; }

    public string ClientCertificateFile { get; }

    public string ClientKeyFile { get; }

    public string RogueClientCertificateFile { get; }

    public string RogueClientKeyFile { get; }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static (X509Certificate2 Certificate, ECDsa Key) CreateCa(string name)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return (request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30)), key);
    }

    private (string Certificate, string Key) Issue(string name, X509Certificate2 ca, ECDsa caKey, string usage, bool server)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={(server ? "localhost" : name)}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        if (server)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("localhost");
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
        }

        using var signer = X509CertificateLoader.LoadCertificate(ca.RawData).CopyWithPrivateKey(caKey);
        using var certificate = request.Create(signer, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(7), RandomNumberGenerator.GetBytes(12));
        var keyFile = Path.Combine(_directory, $"{name}-key.pem");
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        return (WriteCertificate($"{name}.pem", certificate), keyFile);
    }

    private string WriteCertificate(string file, X509Certificate2 certificate)
    {
        var path = Path.Combine(_directory, file);
        File.WriteAllText(path, certificate.ExportCertificatePem());
        return path;
    }
}
