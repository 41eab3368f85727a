// node-postgres's parameter conversion, which its package exports without types.
declare module 'pg/lib/utils.js' {
  const utils: {
    /** A parameter as node-postgres sends it: null, a Buffer, or text. */
    prepareValue(value: unknown): null | Buffer | string;
  };
  export default utils;
}
