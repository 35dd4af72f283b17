namespace Hearth.Workflows.Imports;

/// <summary>Fetches https imports with a size limit and a timeout. Plain http is refused.</summary>
public sealed class HttpImportFetcher : IImportFetcher
{
    private readonly HttpClient _client;
    private readonly ImportLimits _limits;

    public HttpImportFetcher(HttpClient client, ImportLimits? limits = null)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _limits = limits ?? ImportLimits.Default;
    }

    public async Task<FetchedImport> FetchAsync(Uri url, CancellationToken cancellationToken)
    {
        if (url.Scheme != Uri.UriSchemeHttps)
        {
            throw new ImportFetchException($"only https imports are allowed, not {url.Scheme}");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_limits.FetchTimeout);
        try
        {
            using var response = await _client
                .GetAsync(url, HttpCompletionOption.ResponseHeadersRead, timeout.Token)
                .ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new ImportFetchException(
                    $"the server answered {(int)response.StatusCode} {response.ReasonPhrase}"
                );
            }

            if (response.Content.Headers.ContentLength > _limits.MaxBytes)
            {
                throw new ImportFetchException(
                    $"the file is {response.Content.Headers.ContentLength} bytes, more than the limit of {_limits.MaxBytes}"
                );
            }

            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            using var buffer = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = await body.ReadAsync(chunk, timeout.Token).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > _limits.MaxBytes)
                {
                    throw new ImportFetchException($"the file is larger than the limit of {_limits.MaxBytes} bytes");
                }

                buffer.Write(chunk, 0, read);
            }

            return new FetchedImport(
                Utf8Text.Decode(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), url.ToString()),
                url.ToString()
            );
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ImportFetchException($"no complete answer within {_limits.FetchTimeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException ex)
        {
            throw new ImportFetchException(ex.Message, ex);
        }
    }
}
