/** Asserts a body is in the shared error format with the given status (and code, when given). */
export function expectErrorFormat(body: unknown, status: number, code?: string): void {
  expect(body).toEqual(
    expect.objectContaining({
      statusCode: status,
      code: code ?? expect.any(String),
      message: expect.any(String),
      requestId: expect.any(String),
    }),
  );
  const keys = Object.keys(body as object).sort();
  expect(keys.filter((k) => !['statusCode', 'code', 'message', 'details', 'requestId'].includes(k))).toEqual([]);
  expect(JSON.stringify(body)).not.toMatch(/at .*\.(ts|js):\d+|QueryFailedError|SELECT |INSERT |UPDATE /);
}
