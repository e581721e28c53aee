using Minio;
using Minio.DataModel.Args;
using Minio.Exceptions;

namespace Spokes.Autumn.Objects;

/// <summary>Objects in an S3 bucket (MinIO, or any S3 API when deployed), made on first use.</summary>
public sealed class S3ObjectStore(IMinioClient client, string bucket) : IObjectStore
{
    private readonly SemaphoreSlim _bucketCheck = new(1, 1);
    private bool _bucketExists;

    public async Task PutAsync(string key, byte[] data, CancellationToken cancellationToken)
    {
        await EnsureBucketAsync(cancellationToken);
        using var body = new MemoryStream(data, writable: false);
        await client.PutObjectAsync(new PutObjectArgs()
            .WithBucket(bucket)
            .WithObject(ObjectKeys.Checked(key))
            .WithStreamData(body)
            .WithObjectSize(data.Length)
            .WithContentType("application/octet-stream"), cancellationToken);
    }

    public async Task<byte[]?> GetAsync(string key, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        try
        {
            await client.GetObjectAsync(new GetObjectArgs()
                .WithBucket(bucket)
                .WithObject(ObjectKeys.Checked(key))
                .WithCallbackStream((stream, ct) => stream.CopyToAsync(buffer, ct)), cancellationToken);
        }
        catch (Exception e) when (e is ObjectNotFoundException or BucketNotFoundException)
        {
            return null;
        }
        return buffer.ToArray();
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await client.RemoveObjectAsync(new RemoveObjectArgs().WithBucket(bucket).WithObject(ObjectKeys.Checked(key)), cancellationToken);
        }
        catch (Exception e) when (e is ObjectNotFoundException or BucketNotFoundException)
        {
            // Already gone: deleting is idempotent.
        }
    }

    private async Task EnsureBucketAsync(CancellationToken cancellationToken)
    {
        if (_bucketExists) return;
        await _bucketCheck.WaitAsync(cancellationToken);
        try
        {
            if (!await client.BucketExistsAsync(new BucketExistsArgs().WithBucket(bucket), cancellationToken))
            {
                await client.MakeBucketAsync(new MakeBucketArgs().WithBucket(bucket), cancellationToken);
            }
            _bucketExists = true;
        }
        finally
        {
            _bucketCheck.Release();
        }
    }
}
