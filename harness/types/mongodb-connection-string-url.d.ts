// The package ships types, but its `exports` map hides them from NodeNext resolution.
// These are the parts mongo-compat uses.
declare module 'mongodb-connection-string-url' {
  export default class ConnectionString extends URL {
    constructor(uri: string, options?: { looseValidation?: boolean });
    hosts: string[];
    isSRV: boolean;
    redact(options?: { replacementString?: string }): ConnectionString;
    clone(): ConnectionString;
  }
}
