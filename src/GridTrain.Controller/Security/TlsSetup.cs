using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace GridTrain.Controller.Security;

/// <summary>The controller's TLS: its certificate from PEM files, and for mutual TLS, agent client certificates checked against the agent CA.</summary>
internal static class TlsSetup
{
    public static HttpsConnectionAdapterOptions ServerOptions(ControllerSecurityOptions security)
    {
        var https = new HttpsConnectionAdapterOptions
        {
            ServerCertificate = X509Certificate2.CreateFromPemFile(security.CertificateFile!, security.KeyFile),
            SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            // A private agent CA publishes no revocation lists; revoke an agent by rotating the join token instead.
            CheckCertificateRevocation = false,
        };
        if (security.AgentClientCaFile is { } caFile)
        {
            var ca = X509Certificate2.CreateFromPem(File.ReadAllText(caFile));
            // Users connect without a certificate; agent calls without one are refused by the AuthInterceptor.
            https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
            https.ClientCertificateValidation = (certificate, _, _) => IsSignedBy(certificate, ca);
        }

        return https;
    }

    /// <summary>True when <paramref name="certificate"/> chains to <paramref name="root"/> (and to nothing else), without revocation checks.</summary>
    public static bool IsSignedBy(X509Certificate2 certificate, X509Certificate2 root)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }
}
