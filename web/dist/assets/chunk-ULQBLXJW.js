import{a,b,c,d}from"./chunk-7P5UHPNH.js";import"./chunk-K3LVVL2W.js";import"./chunk-4R54ERC6.js";export{a as INPUT_TYPES,d as Inputs,c as choicesOf,b as same};
